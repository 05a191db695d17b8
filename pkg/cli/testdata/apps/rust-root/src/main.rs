// One handler at the repository's root (the layout of aws-lambda-rust-runtime's basic-lambda).
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    command: Option<String>,
}

#[derive(Serialize)]
struct Response {
    msg: String,
}

async fn handler(event: LambdaEvent<Request>) -> Result<Response, Error> {
    let command = event.payload.command.unwrap_or_default();
    Ok(Response { msg: format!("Command {command} executed.") })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
