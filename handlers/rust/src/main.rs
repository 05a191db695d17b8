//! coldbench's Rust reference handler: the shape of a typical Rust Lambda function, built with the
//! lambda_runtime crate on tokio, doing the unified reference workload. `_HANDLER` picks the
//! function: "work" (the default) runs the workload, "hello" returns at once.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

/// Iterations of the checksum loop: the same number in every reference handler.
pub const ITERATIONS: u32 = 50_000_000;

/// The unified CPU workload (see handlers/README.md); bit-for-bit the same in Go and TypeScript.
pub fn checksum(n: u32) -> u32 {
    let mut h: u32 = 2166136261;
    for i in 0..n {
        h ^= i;
        h = h.wrapping_mul(16777619);
        h ^= h >> 15;
    }
    h
}

async fn work(client: &reqwest::Client, _event: LambdaEvent<Value>) -> Result<Value, Error> {
    // black_box keeps the optimiser from folding the loop for a constant input.
    let sum = checksum(std::hint::black_box(ITERATIONS));
    let mut status = 0;
    if let Ok(url) = std::env::var("COLDBENCH_OUTBOUND_URL") {
        let resp = client.get(url).send().await?;
        status = resp.status().as_u16();
        resp.bytes().await?;
    }
    Ok(json!({
        "runtime": "rust",
        "iterations": ITERATIONS,
        "checksum": format!("{:08x}", sum),
        "outbound_status": status,
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    if std::env::var("_HANDLER").as_deref() == Ok("hello") {
        return lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
            Ok::<Value, Error>(json!({"runtime": "rust", "hello": "world"}))
        }))
        .await;
    }
    // Created once, at init, as a real handler's SDK clients are.
    let client = reqwest::Client::new();
    let client = &client;
    lambda_runtime::run(service_fn(move |ev| work(client, ev))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shared test vectors: handlers/go and handlers/deno check the same values.
    #[test]
    fn checksum_vectors() {
        assert_eq!(checksum(0), 0x811c9dc5);
        assert_eq!(checksum(1), 0x050c5707);
        assert_eq!(checksum(1000), 0xa88c00f1);
        assert_eq!(checksum(ITERATIONS), 0x3998a4be);
    }
}
