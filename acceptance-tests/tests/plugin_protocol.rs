//! Protocol tests (no core): spawn the real binary, perform go-plugin's handshake as
//! Terraform does (mTLS with an ECDSA P-521 CA:TRUE client certificate),
//! and talk gRPC to it, with `acceptance_tests::plugin_client`. Needs the
//! provider built (`cargo build`; `TF_ACC_PROVIDER_BIN` overrides it).

use std::process::Command;
use std::time::{Duration, Instant};

use acceptance_tests::paths::provider_binary;
use acceptance_tests::plugin_client::proto::{plugin, tfplugin6};
use acceptance_tests::plugin_client::{
    provider_client, terraform_like_client_cert, ClientIdentity, Plugin, MAGIC_COOKIE as COOKIE,
};
use tonic::transport::Channel;

/// The provider crate's version, from the repository's Cargo.toml.
fn provider_version() -> String {
    let toml = std::fs::read_to_string(acceptance_tests::paths::repo_root().join("Cargo.toml"))
        .expect("the provider's Cargo.toml");
    toml.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("a version line in [package]")
        .to_owned()
}

fn client_cert() -> ClientIdentity {
    terraform_like_client_cert().expect("client certificate")
}

fn spawn(client_pem: Option<&str>, extra: &[(&str, &str)]) -> Plugin {
    Plugin::spawn(&provider_binary(), client_pem, extra).expect("spawn provider and handshake")
}

async fn dial(
    p: &Plugin,
    client: Option<&ClientIdentity>,
) -> Result<Channel, acceptance_tests::plugin_client::PluginClientError> {
    p.dial(client).await
}

async fn schema_call(
    ch: Channel,
) -> Result<tfplugin6::get_provider_schema::Response, tonic::Status> {
    provider_client(ch)
        .get_provider_schema(tfplugin6::get_provider_schema::Request {})
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn mtls_is_required_and_the_announced_cert_works() {
    let client = client_cert();
    let p = spawn(Some(&client.pem), &[]);
    assert!(p.server_cert().is_some(), "TLS must be on: {}", p.line());

    // With the announced certificate: the schema comes back.
    let ch = dial(&p, Some(&client)).await.expect("dial with cert");
    let schema = schema_call(ch).await.expect("GetProviderSchema with cert");
    assert!(schema
        .resource_schemas
        .contains_key("eks_encryption_config"));
    assert!(schema
        .data_source_schemas
        .contains_key("eks_encryption_config"));
    let caps = schema.server_capabilities.unwrap();
    assert!(caps.plan_destroy && caps.get_provider_schema_optional);

    // Without a client certificate: refused at the TLS layer.
    let no_cert = match dial(&p, None).await {
        Err(_) => true,
        Ok(ch) => schema_call(ch).await.is_err(),
    };
    assert!(no_cert, "a client without a certificate must be refused");

    // With another certificate (same shape as Terraform's): refused.
    let other = client_cert();
    let wrong = match dial(&p, Some(&other)).await {
        Err(_) => true,
        Ok(ch) => schema_call(ch).await.is_err(),
    };
    assert!(wrong, "a client with another certificate must be refused");
}

#[tokio::test]
async fn health_stop_and_shutdown() {
    let client = client_cert();
    let mut p = spawn(Some(&client.pem), &[]);
    let ch = dial(&p, Some(&client)).await.unwrap();

    let mut health = tonic_health::pb::health_client::HealthClient::new(ch.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let stop = provider_client(ch.clone())
        .stop_provider(tfplugin6::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stop.error, "");

    // The stdio stream opens and stays open until shutdown.
    let mut stdio = plugin::grpc_stdio_client::GrpcStdioClient::new(ch.clone());
    let mut stream = stdio.stream_stdio(()).await.unwrap().into_inner();

    let started = Instant::now();
    plugin::grpc_controller_client::GrpcControllerClient::new(ch)
        .shutdown(plugin::Empty {})
        .await
        .unwrap();
    // The stdio stream ends rather than hanging the server.
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.message()).await;
    loop {
        if let Some(status) = p.child().try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "Shutdown must exit within 1 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn refuses_to_run_without_the_magic_cookie() {
    let out = Command::new(provider_binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plugin"), "{err}");
}

#[test]
fn refuses_when_protocol_6_is_not_offered() {
    let out = Command::new(provider_binary())
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[test]
fn refuses_plaintext_unless_tls_is_disabled() {
    let out = Command::new(provider_binary())
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("TF_DISABLE_PLUGIN_TLS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TF_DISABLE_PLUGIN_TLS"));
}

#[tokio::test]
async fn plaintext_when_tls_is_disabled() {
    let p = spawn(None, &[("TF_DISABLE_PLUGIN_TLS", "1")]);
    assert!(p.server_cert().is_none());
    assert!(p.line().ends_with("|grpc|"), "{}", p.line());
    let ch = dial(&p, None).await.unwrap();
    schema_call(ch).await.unwrap();
}

#[tokio::test]
async fn unsupported_rpcs_answer_without_failing() {
    let client = client_cert();
    let p = spawn(Some(&client.pem), &[]);
    let ch = dial(&p, Some(&client)).await.unwrap();
    let mut c = provider_client(ch);
    let f = c
        .get_functions(tfplugin6::get_functions::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(f.functions.is_empty() && f.diagnostics.is_empty());
    let ids = c
        .get_resource_identity_schemas(tfplugin6::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    // Served since issue 19 (tests/provider_protocol_rpc.rs checks the schema).
    assert!(
        ids.identity_schemas.contains_key("eks_encryption_config") && ids.diagnostics.is_empty(),
        "{ids:?}"
    );
    let meta = c
        .get_metadata(tfplugin6::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.resources.len(), 1);
    let eph = c
        .validate_ephemeral_resource_config(
            tfplugin6::validate_ephemeral_resource_config::Request {
                type_name: "eks_x".into(),
                config: None,
            },
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(eph.diagnostics.len(), 1);
    // The trait's default answer: generic, naming the RPC and the type.
    assert_eq!(
        eph.diagnostics[0].summary,
        "ValidateEphemeralResourceConfig is not supported"
    );
    assert!(eph.diagnostics[0].detail.contains("\"eks_x\""));
    let call = c
        .call_function(tfplugin6::call_function::Request {
            name: "parse_arn".into(),
            arguments: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    let text = call.error.map(|e| e.text).unwrap_or_default();
    assert!(text.starts_with("CallFunction is not supported"), "{text}");
}

/// Issue 13: before ConfigureProvider, and for a type the provider does not
/// serve, read, plan and apply answer a diagnostic instead of failing.
#[tokio::test]
async fn resource_rpcs_check_type_and_configuration() {
    let client = client_cert();
    let p = spawn(Some(&client.pem), &[]);
    let mut c = provider_client(dial(&p, Some(&client)).await.unwrap());
    let read = c
        .read_resource(tfplugin6::read_resource::Request {
            type_name: "eks_encryption_config".into(),
            client_capabilities: Some(tfplugin6::ClientCapabilities {
                deferral_allowed: true,
                write_only_attributes_allowed: false,
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    assert_eq!(read.diagnostics[0].summary, "Provider not configured");
    assert!(read.deferred.is_none(), "this provider never defers");
    let plan = c
        .plan_resource_change(tfplugin6::plan_resource_change::Request {
            type_name: "eks_cluster".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.diagnostics[0].summary, "Unknown resource type");
    assert!(plan.diagnostics[0].detail.contains("\"eks_cluster\""));
    // A refused apply keeps the prior state (msgpack: an empty map).
    let prior = tfplugin6::DynamicValue {
        msgpack: vec![0x80],
        json: vec![],
    };
    let apply = c
        .apply_resource_change(tfplugin6::apply_resource_change::Request {
            type_name: "eks_encryption_config".into(),
            prior_state: Some(prior.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(apply.diagnostics[0].summary, "Provider not configured");
    assert_eq!(apply.new_state, Some(prior));
}

#[test]
fn version_flag_prints_the_cargo_version() {
    let out = Command::new(provider_binary())
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("terraform-provider-eks v{}", provider_version())
    );
}
