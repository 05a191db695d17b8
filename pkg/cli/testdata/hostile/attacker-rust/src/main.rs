// Reports what its build script found, over a minimal Runtime API client (std only).
use std::io::{Read, Write};
use std::net::TcpStream;

fn request(api: &str, method: &str, path: &str, body: &str) -> (String, String) {
    let mut s = TcpStream::connect(api).expect("connect");
    write!(s, "{} {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", method, path, api, body.len(), body).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, rest) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    (head.to_string(), rest.to_string())
}

fn main() {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap();
    let leaks = env!("ATTACK_LEAKS");
    let report = format!("{{\"build_leaks\":\"{}\",\"build_denied\":{}}}", leaks.replace('"', "'"), env!("ATTACK_DENIED"));
    loop {
        let (head, _) = request(&api, "GET", "/2018-06-01/runtime/invocation/next", "");
        let id = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("lambda-runtime-aws-request-id:").map(|_| l.splitn(2, ':').nth(1).unwrap().trim().to_string()))
            .unwrap_or_default();
        if leaks.is_empty() {
            request(&api, "POST", &format!("/2018-06-01/runtime/invocation/{}/response", id), &report);
        } else {
            let err = format!("{{\"errorType\":\"Sandbox.Escaped\",\"errorMessage\":\"{}\"}}", leaks.replace('"', "'"));
            request(&api, "POST", &format!("/2018-06-01/runtime/invocation/{}/error", id), &err);
        }
    }
}
