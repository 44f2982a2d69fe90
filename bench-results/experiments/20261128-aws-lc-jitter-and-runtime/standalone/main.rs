use std::time::Instant;
fn main() {
    let t = Instant::now();
    let _k = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cold = t.elapsed();
    let t = Instant::now();
    let _k = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let warm = t.elapsed();
    println!("{} {}", cold.as_micros(), warm.as_micros());
}
