//! A minimal Lambda Runtime API client on the standard library alone (a stand-in for
//! lambda_runtime, so the fixture builds offline in seconds).
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

fn request(api: &str, method: &str, path: &str, body: &str) -> (Option<String>, String) {
    let mut s = TcpStream::connect(api).expect("connect to the Runtime API");
    write!(s, "{method} /2018-06-01/runtime/{path} HTTP/1.1\r\nHost: {api}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut r = BufReader::new(s);
    let (mut id, mut len) = (None, 0usize);
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.to_ascii_lowercase().as_str() {
                "lambda-runtime-aws-request-id" => id = Some(v.trim().to_string()),
                "content-length" => len = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut buf = vec![0; len];
    r.read_exact(&mut buf).unwrap();
    (id, String::from_utf8_lossy(&buf).into_owned())
}

/// Serves invocations forever with handler, which maps an event to a JSON response.
pub fn run(handler: impl Fn(&str) -> String) {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").expect("AWS_LAMBDA_RUNTIME_API");
    loop {
        let (id, event) = request(&api, "GET", "invocation/next", "");
        let id = id.expect("a request id");
        request(&api, "POST", &format!("invocation/{id}/response"), &handler(&event));
    }
}
