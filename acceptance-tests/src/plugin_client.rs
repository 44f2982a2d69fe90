//! Our own plugin client: spawns the real provider binary, performs
//! go-plugin's handshake as Terraform does (mTLS with an ECDSA P-521 CA:TRUE
//! client certificate, the server certificate pinned from the handshake
//! line) and talks tfplugin6 over gRPC, without a Terraform core. Protocol
//! tests (`tests/plugin_protocol.rs`, `tests/provider_protocol_rpc.rs`) drive
//! RPCs that no released core exercises directly, or check what the wire
//! carries.
//!
//! [`proto`] is the client code generated from the provider's `proto/` (by
//! this crate's `build.rs`); [`schema_type`], [`encode`] and [`decode`] turn
//! a wire schema into its value type and values into msgpack
//! `DynamicValue`s and back, with the provider's own codec.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use terraform_provider_eks::tfprotov6::{Type, Value};
use tonic::transport::{Channel, Endpoint};

/// Client code generated from the provider's `proto/`.
pub mod proto {
    /// tfplugin6 (protocol 6).
    #[allow(clippy::all, missing_docs)]
    pub mod tfplugin6 {
        include!(concat!(env!("OUT_DIR"), "/tfplugin6.rs"));
    }
    /// go-plugin's controller and stdio services.
    #[allow(clippy::all, missing_docs)]
    pub mod plugin {
        include!(concat!(env!("OUT_DIR"), "/plugin.rs"));
    }
}

use proto::tfplugin6;

/// go-plugin's magic cookie for Terraform providers.
pub const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// An error starting or dialing the plugin, or converting a value.
#[derive(Debug, thiserror::Error)]
pub enum PluginClientError {
    /// Spawning the binary or reading its stdout failed.
    #[error("running the provider {0}")]
    Io(#[from] std::io::Error),
    /// The handshake line is not go-plugin's `1|6|unix|PATH|grpc|CERT`.
    #[error("unexpected handshake line {0:?}")]
    Handshake(String),
    /// The TLS client configuration could not be made.
    #[error("TLS client configuration: {0}")]
    Tls(String),
    /// Connecting (socket, TLS handshake or HTTP/2) failed.
    #[error("dialing the provider: {0}")]
    Dial(#[from] tonic::transport::Error),
    /// A client certificate could not be made.
    #[error("making the client certificate: {0}")]
    Certificate(String),
    /// A wire schema does not describe a value type.
    #[error("schema: {0}")]
    Schema(String),
    /// A value does not encode or decode with its type.
    #[error("value: {0}")]
    Value(String),
}

/// A client identity shaped like Terraform's: ECDSA P-521, self-signed, CA.
pub struct ClientIdentity {
    /// The certificate, PEM (what `PLUGIN_CLIENT_CERT` carries).
    pub pem: String,
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity").finish_non_exhaustive()
    }
}

/// Makes a client certificate as Terraform does for each plugin it starts.
pub fn terraform_like_client_cert() -> Result<ClientIdentity, PluginClientError> {
    let cert_err = |e: rcgen::Error| PluginClientError::Certificate(e.to_string());
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).map_err(cert_err)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).map_err(cert_err)?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    let cert = params.self_signed(&key).map_err(cert_err)?;
    Ok(ClientIdentity {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    })
}

/// A running provider process after its handshake line. Killed on drop.
#[derive(Debug)]
pub struct Plugin {
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

impl Plugin {
    /// Spawns `bin` with a clean environment (PATH, go-plugin's variables,
    /// `PLUGIN_CLIENT_CERT` when `client_pem` is given, then `extra`) and
    /// reads its handshake line, which must announce protocol 6 over a unix
    /// socket with gRPC.
    pub fn spawn(
        bin: &Path,
        client_pem: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Result<Plugin, PluginClientError> {
        let mut cmd = Command::new(bin);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(pem) = client_pem {
            cmd.env("PLUGIN_CLIENT_CERT", pem);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        let Some(stdout) = child.stdout.take() else {
            return Err(PluginClientError::Handshake("no stdout".into()));
        };
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end().to_owned();
        let parts: Vec<&str> = line.split('|').collect();
        if parts.len() != 6 || parts[..3] != ["1", "6", "unix"] || parts[4] != "grpc" {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PluginClientError::Handshake(line));
        }
        let server_cert = if parts[5].is_empty() {
            None
        } else {
            // go-plugin sends the certificate's DER as standard base64
            // without padding.
            Some(
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(parts[5])
                    .map_err(|_| PluginClientError::Handshake(line.clone()))?,
            )
        };
        let socket = parts[3].to_owned();
        // Keep reading stdout in the background so a stray write would show up.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
            assert!(rest.is_empty(), "provider wrote more to stdout: {rest:?}");
        });
        Ok(Plugin {
            child,
            socket,
            server_cert,
            line,
        })
    }

    /// The handshake line.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The server certificate (DER) the handshake line announced, if any.
    pub fn server_cert(&self) -> Option<&[u8]> {
        self.server_cert.as_deref()
    }

    /// The process, e.g. to wait for its exit.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Dials the plugin, with TLS when it sent a certificate (pinned),
    /// presenting `client` (or no certificate at all).
    pub async fn dial(
        &self,
        client: Option<&ClientIdentity>,
    ) -> Result<Channel, PluginClientError> {
        let socket = self.socket.clone();
        let tls_err = |e: rustls::Error| PluginClientError::Tls(e.to_string());
        let tls = match self.server_cert.clone() {
            Some(server) => {
                let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                    .with_safe_default_protocol_versions()
                    .map_err(tls_err)?
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(PinnedServer(server, provider)));
                let mut cfg = match client {
                    Some(c) => builder
                        .with_client_auth_cert(
                            vec![c.der.clone()],
                            PrivateKeyDer::Pkcs8(c.key.clone_key()),
                        )
                        .map_err(tls_err)?,
                    None => builder.with_no_client_auth(),
                };
                cfg.alpn_protocols = vec![b"h2".to_vec()];
                Some(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
            }
            None => None,
        };
        let channel = Endpoint::from_static("http://localhost")
            .connect_with_connector(tower::service_fn(move |_| {
                let socket = socket.clone();
                let tls = tls.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(socket).await?;
                    let io: Box<dyn IoStream> = match tls {
                        Some(tls) => {
                            let name =
                                ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                            Box::new(tls.connect(name, stream).await?)
                        }
                        None => Box::new(stream),
                    };
                    Ok::<_, std::io::Error>(TokioIo::new(io))
                }
            }))
            .await?;
        Ok(channel)
    }
}

/// Accepts exactly the certificate the handshake line announced.
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
        if name.to_str() != "localhost" {
            return Err(rustls::Error::General(format!(
                "unexpected server name {}",
                name.to_str()
            )));
        }
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

trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> IoStream for T {}

/// A tfplugin6 provider client over `ch`, accepting messages as large as
/// Terraform does (256 MiB).
pub fn provider_client(ch: Channel) -> tfplugin6::provider_client::ProviderClient<Channel> {
    tfplugin6::provider_client::ProviderClient::new(ch).max_decoding_message_size(256 << 20)
}

/// The value type of a wire schema's block: an object of its attributes and
/// nested blocks, as Terraform derives it.
pub fn schema_type(schema: &tfplugin6::Schema) -> Result<Type, PluginClientError> {
    let block = schema
        .block
        .as_ref()
        .ok_or_else(|| PluginClientError::Schema("schema without a block".into()))?;
    block_type(block)
}

fn block_type(block: &tfplugin6::schema::Block) -> Result<Type, PluginClientError> {
    use tfplugin6::schema::nested_block::NestingMode;
    let mut attrs = attribute_types(&block.attributes)?;
    for nb in &block.block_types {
        let inner = nb
            .block
            .as_ref()
            .ok_or_else(|| PluginClientError::Schema(format!("block {} is empty", nb.type_name)))?;
        let inner = block_type(inner)?;
        let ty = match NestingMode::try_from(nb.nesting) {
            Ok(NestingMode::Single | NestingMode::Group) => inner,
            Ok(NestingMode::List) => Type::list(inner),
            Ok(NestingMode::Set) => Type::set(inner),
            Ok(NestingMode::Map) => Type::map(inner),
            _ => {
                return Err(PluginClientError::Schema(format!(
                    "block {} has nesting {}",
                    nb.type_name, nb.nesting
                )))
            }
        };
        attrs.push((nb.type_name.clone(), ty));
    }
    Ok(object(attrs))
}

fn attribute_types(
    attributes: &[tfplugin6::schema::Attribute],
) -> Result<Vec<(String, Type)>, PluginClientError> {
    use tfplugin6::schema::object::NestingMode;
    attributes
        .iter()
        .map(|a| {
            let ty = match &a.nested_type {
                Some(obj) => {
                    let inner = object(attribute_types(&obj.attributes)?);
                    match NestingMode::try_from(obj.nesting) {
                        Ok(NestingMode::Single) => inner,
                        Ok(NestingMode::List) => Type::list(inner),
                        Ok(NestingMode::Set) => Type::set(inner),
                        Ok(NestingMode::Map) => Type::map(inner),
                        _ => {
                            return Err(PluginClientError::Schema(format!(
                                "attribute {} has nesting {}",
                                a.name, obj.nesting
                            )))
                        }
                    }
                }
                None => Type::from_json(&a.r#type)
                    .map_err(|e| PluginClientError::Schema(format!("attribute {}: {e}", a.name)))?,
            };
            Ok((a.name.clone(), ty))
        })
        .collect()
}

fn object(attrs: Vec<(String, Type)>) -> Type {
    Type::object(attrs.iter().map(|(k, t)| (k.as_str(), t.clone())))
}

/// The value type of an identity schema: an object of its attributes.
pub fn identity_type(
    schema: &tfplugin6::ResourceIdentitySchema,
) -> Result<Type, PluginClientError> {
    let attrs = schema
        .identity_attributes
        .iter()
        .map(|a| {
            Type::from_json(&a.r#type)
                .map(|t| (a.name.clone(), t))
                .map_err(|e| {
                    PluginClientError::Schema(format!("identity attribute {}: {e}", a.name))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(object(attrs))
}

/// `value` as a msgpack `DynamicValue` of type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<tfplugin6::DynamicValue, PluginClientError> {
    let msgpack = terraform_provider_eks::tfprotov6::value::encode(value, ty)
        .map_err(|e| PluginClientError::Value(e.to_string()))?;
    Ok(tfplugin6::DynamicValue {
        msgpack,
        json: vec![],
    })
}

/// An object value of type `ty` with the given attributes set and every
/// other attribute null (a configuration that leaves them unset).
pub fn object_value(ty: &Type, set: &[(&str, Value)]) -> Result<Value, PluginClientError> {
    let Type::Object { attributes, .. } = ty else {
        return Err(PluginClientError::Value(format!(
            "{ty:?} is not an object type"
        )));
    };
    for (name, _) in set {
        if !attributes.contains_key(*name) {
            return Err(PluginClientError::Value(format!("no attribute {name}")));
        }
    }
    Ok(Value::object(attributes.keys().map(|k| {
        let v = set
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        (k.clone(), v)
    })))
}

/// A value for a nested block of type `ty` (single, or the one element of a
/// list or set block) with `set` and every other attribute null.
pub fn block_value(ty: &Type, set: &[(&str, Value)]) -> Result<Value, PluginClientError> {
    Ok(match ty {
        Type::List(t) => Value::list([object_value(t, set)?]),
        Type::Set(t) => Value::set([object_value(t, set)?]),
        t => object_value(t, set)?,
    })
}

/// A msgpack (or, when that is empty, JSON) `DynamicValue` decoded with `ty`.
pub fn decode(dv: &tfplugin6::DynamicValue, ty: &Type) -> Result<Value, PluginClientError> {
    let r = if dv.msgpack.is_empty() && !dv.json.is_empty() {
        terraform_provider_eks::tfprotov6::value::decode_json(&dv.json, ty)
    } else {
        terraform_provider_eks::tfprotov6::value::decode(&dv.msgpack, ty)
    };
    r.map_err(|e| PluginClientError::Value(e.to_string()))
}
