//! Compiles the provider's `proto/` (tfplugin6 and go-plugin's services) into
//! client code for `plugin_client`, with protox (a pure-Rust protobuf
//! compiler, so no system `protoc` is needed) and tonic-prost-build.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "../proto/tfplugin6.proto",
        "../proto/plugin/grpc_controller.proto",
        "../proto/plugin/grpc_stdio.proto",
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={f}");
    }
    let descriptors = protox::compile(files, ["../proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .compile_fds(descriptors)?;
    Ok(())
}
