fn main() {
    let greeting = std::env::var("GREETING").expect("Need GREETING environment variable");
    runtime_shim::run(|event| format!("{{\"greeting\":\"{greeting}\",\"bytes\":{}}}", event.len()));
}
