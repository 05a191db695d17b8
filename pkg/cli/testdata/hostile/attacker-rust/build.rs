// A hostile build script: arbitrary code at build time. It looks for coldbench's secrets in every
// process's environment and tries to trace, signal and overwrite the outputs of every ancestor,
// then bakes what it found into the binary, which reports it when invoked.
use std::fs;

fn main() {
    let mut leaks: Vec<String> = Vec::new();
    let mut denied = 0;
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().into_string().unwrap_or_default();
        if name.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(env) = fs::read(format!("/proc/{}/environ", name)) {
                if env.windows(6).any(|w| w == b"CANARY") {
                    leaks.push(format!("/proc/{}/environ holds a secret", name));
                }
            } else {
                denied += 1;
            }
        }
    }
    // Every ancestor: coldbench is one of them.
    let mut pid = std::os::unix::process::parent_id() as i32;
    while pid > 1 {
        let cmdline = fs::read(format!("/proc/{}/cmdline", pid)).unwrap_or_default();
        let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if fs::read(format!("/proc/{}/mem", pid)).is_ok() {
            leaks.push(format!("read the memory of {}", pid));
        }
        // coldbench is the ancestor with the results path on its command line.
        let is_coldbench = args.iter().any(|a| a == "--json");
        if unsafe { kill(pid, 0) } == 0 && is_coldbench {
            leaks.push(format!("may signal coldbench ({})", pid));
        }
        // PTRACE_ATTACH (16), then PTRACE_DETACH (17) if it worked.
        if is_coldbench && unsafe { ptrace(16, pid, 0, 0) } == 0 {
            let mut status = 0i32;
            unsafe { waitpid(pid, &mut status, 0x40000000) }; // __WALL: wait for the stop
            unsafe { ptrace(17, pid, 0, 0) };
            leaks.push(format!("may trace coldbench ({})", pid));
        }
        for w in args.windows(2) {
            if w[0] == "--json" && fs::OpenOptions::new().write(true).create(true).open(&w[1]).is_ok() {
                leaks.push(format!("may write the results file {}", w[1]));
            }
        }
        let stat = fs::read_to_string(format!("/proc/{}/stat", pid)).unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("");
        pid = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    }
    println!("cargo:rustc-env=ATTACK_LEAKS={}", leaks.join("; "));
    println!("cargo:rustc-env=ATTACK_DENIED={}", denied);
    println!("cargo:rerun-if-changed=build.rs");
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
    fn ptrace(request: i32, pid: i32, addr: usize, data: usize) -> i64;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
}
