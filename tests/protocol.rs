//! Protocol tests: spawn the real binary, perform go-plugin's handshake as
//! Terraform does (mTLS with an ECDSA P-521 CA:TRUE client certificate),
//! and talk gRPC to it.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Channel, Endpoint};

#[allow(clippy::all, dead_code, missing_docs)]
mod tfplugin6 {
    include!(concat!(env!("OUT_DIR"), "/tfplugin6.rs"));
}
#[allow(clippy::all, dead_code, missing_docs)]
mod plugin {
    include!(concat!(env!("OUT_DIR"), "/plugin.rs"));
}

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-eks");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client identity shaped like Terraform's: ECDSA P-521, self-signed, CA.
struct ClientId {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn terraform_like_client_cert() -> ClientId {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    let cert = params.self_signed(&key).unwrap();
    ClientId {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

struct Plugin {
    child: Child,
    socket: String,
    server_cert: Option<Vec<u8>>,
    line: String,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(client_pem: Option<&str>, extra: &[(&str, &str)]) -> Plugin {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = client_pem {
        cmd.env("PLUGIN_CLIENT_CERT", pem);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn provider");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).expect("handshake line");
    let line = line.trim_end().to_owned();
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts.len(), 6, "handshake line {line:?}");
    assert_eq!(&parts[..3], ["1", "6", "unix"]);
    assert_eq!(parts[4], "grpc");
    let server_cert = (!parts[5].is_empty()).then(|| {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(parts[5])
            .expect("cert is standard base64 without padding")
    });
    // Keep reading stdout in the background so a stray write would show up.
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        assert!(rest.is_empty(), "provider wrote more to stdout: {rest:?}");
    });
    Plugin {
        child,
        socket: parts[3].to_owned(),
        server_cert,
        line,
    }
}

#[derive(Debug)]
struct PinnedServer(Vec<u8>, Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(name.to_str(), "localhost");
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("unexpected server cert".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

/// Dials the plugin, with TLS when it sent a certificate, presenting
/// `client` (or no certificate at all).
async fn dial(p: &Plugin, client: Option<&ClientId>) -> Result<Channel, tonic::transport::Error> {
    let socket = p.socket.clone();
    let tls = p.server_cert.clone().map(|server| {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedServer(server, provider)));
        let mut cfg = match client {
            Some(c) => builder
                .with_client_auth_cert(vec![c.der.clone()], PrivateKeyDer::Pkcs8(c.key.clone_key()))
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        tokio_rustls::TlsConnector::from(Arc::new(cfg))
    });
    Endpoint::try_from("http://localhost")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            let tls = tls.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                let io: Box<dyn IoStream> = match tls {
                    Some(tls) => Box::new(
                        tls.connect(ServerName::try_from("localhost").unwrap(), stream)
                            .await?,
                    ),
                    None => Box::new(stream),
                };
                Ok::<_, std::io::Error>(TokioIo::new(io))
            }
        }))
        .await
}

trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> IoStream for T {}

fn provider_client(ch: Channel) -> tfplugin6::provider_client::ProviderClient<Channel> {
    tfplugin6::provider_client::ProviderClient::new(ch).max_decoding_message_size(256 << 20)
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
    let client = terraform_like_client_cert();
    let p = spawn(Some(&client.pem), &[]);
    assert!(p.server_cert.is_some(), "TLS must be on: {}", p.line);

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
    let other = terraform_like_client_cert();
    let wrong = match dial(&p, Some(&other)).await {
        Err(_) => true,
        Ok(ch) => schema_call(ch).await.is_err(),
    };
    assert!(wrong, "a client with another certificate must be refused");
}

#[tokio::test]
async fn health_stop_and_shutdown() {
    let client = terraform_like_client_cert();
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
        if let Some(status) = p.child.try_wait().unwrap() {
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
    let out = Command::new(BIN)
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
    let out = Command::new(BIN)
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
    let out = Command::new(BIN)
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
    assert!(p.server_cert.is_none());
    assert!(p.line.ends_with("|grpc|"), "{}", p.line);
    let ch = dial(&p, None).await.unwrap();
    schema_call(ch).await.unwrap();
}

#[tokio::test]
async fn unsupported_rpcs_answer_without_failing() {
    let client = terraform_like_client_cert();
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
    assert!(ids.identity_schemas.is_empty() && ids.diagnostics.is_empty());
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
    let client = terraform_like_client_cert();
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
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("terraform-provider-eks v{}", env!("CARGO_PKG_VERSION"))
    );
}
