fn main() {
    println!("a maintenance tool, not the function");
}
