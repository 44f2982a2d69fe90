//! Mutual TLS as go-plugin does it, but enforced.
//!
//! Terraform generates a throwaway client certificate per run and hands it to
//! us in `PLUGIN_CLIENT_CERT`. We generate a throwaway server certificate and
//! hand it back in the handshake line. Only a client presenting exactly the
//! certificate Terraform announced may talk to us.
//!
//! Terraform's certificate is an ECDSA P-521 self-signed CA certificate. Stock
//! webpki verification refuses a CA certificate used as an end entity, so
//! [`PinnedClientCert`] compares the certificate bytes instead and checks the
//! TLS handshake signature with aws-lc-rs, which supports P-521 (ring does
//! not); see [`crypto_provider`].

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` held no PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate")]
    NoClientCert,
    /// `PLUGIN_CLIENT_CERT` could not be parsed.
    #[error("PLUGIN_CLIENT_CERT is not valid PEM: {0}")]
    BadClientCert(rustls::pki_types::pem::Error),
    /// Generating our certificate failed.
    #[error("generating the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("configuring TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// ring for key exchange and our own signatures, with aws-lc-rs's signature
/// verification algorithms, which include the P-521 that ring lacks.
///
/// Why not aws-lc-rs throughout: its random number generator takes about
/// 30 ms to seed on first use, a cost every provider start would pay before
/// the handshake line (see the benchmarks). Verifying a signature draws no
/// random numbers, so that part costs aws-lc no seeding.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.signature_verification_algorithms =
        rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
    Arc::new(provider)
}

/// Our per-process certificate and key.
pub struct ServerIdentity {
    /// DER of the self-signed certificate (goes into the handshake line).
    pub cert_der: CertificateDer<'static>,
    key: Arc<rcgen::KeyPair>,
}

impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the private key.
        f.debug_struct("ServerIdentity").finish_non_exhaustive()
    }
}

impl ServerIdentity {
    /// Generates a fresh self-signed ECDSA P-256 certificate for `localhost`
    /// (go-plugin's client checks the server name `localhost`).
    pub fn generate() -> Result<Self, TlsError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "terraform-provider-eks");
        // go-plugin's client puts our certificate in its root pool and
        // verifies the chain against it, so it acts as its own CA.
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(5);
        params.not_after = now + time::Duration::days(365 * 30);
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key: Arc::new(key),
        })
    }

    /// A rustls server configuration that requires exactly `client_cert`.
    pub fn server_config(
        &self,
        client_cert: CertificateDer<'static>,
    ) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = crypto_provider();
        let verifier = PinnedClientCert::new(client_cert, provider.clone());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(
                rustls::sign::CertifiedKey::new(
                    vec![self.cert_der.clone()],
                    Arc::new(IdentityKey(self.key.clone())),
                ),
            )));
        // gRPC runs over HTTP/2; newer grpc-go clients insist on ALPN.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Our key as rustls signs with it: the key pair rcgen generated, used as it
/// is. Handing rustls the PKCS#8 bytes instead made it parse them again,
/// which with ring recomputes the P-256 public key (a scalar multiplication,
/// about 0.15 M instructions) before every handshake line (issue 14).
struct IdentityKey(Arc<rcgen::KeyPair>);

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the private key.
        f.write_str("IdentityKey(ECDSA P-256)")
    }
}

impl rustls::sign::SigningKey for IdentityKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn rustls::sign::Signer>> {
        offered
            .contains(&SignatureScheme::ECDSA_NISTP256_SHA256)
            .then(|| Box::new(IdentitySigner(self.0.clone())) as Box<dyn rustls::sign::Signer>)
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::ECDSA
    }
}

/// Signs TLS handshakes with [`IdentityKey`]'s key: ECDSA P-256 with
/// SHA-256, ASN.1 (DER) signatures, as rcgen's `PKCS_ECDSA_P256_SHA256`
/// key pair produces them.
struct IdentitySigner(Arc<rcgen::KeyPair>);

impl fmt::Debug for IdentitySigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentitySigner(ECDSA_NISTP256_SHA256)")
    }
}

impl rustls::sign::Signer for IdentitySigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        use rcgen::SigningKey as _;
        self.0
            .sign(message)
            .map_err(|e| rustls::Error::General(format!("signing the TLS handshake: {e}")))
    }

    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
    }
}

/// Parses the PEM certificate from `PLUGIN_CLIENT_CERT`.
pub fn parse_client_cert(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    use rustls::pki_types::pem::PemObject as _;
    match CertificateDer::pem_slice_iter(pem.as_bytes()).next() {
        Some(Ok(der)) => Ok(der),
        Some(Err(e)) => Err(TlsError::BadClientCert(e)),
        None => Err(TlsError::NoClientCert),
    }
}

/// A client certificate verifier that accepts one exact certificate.
#[derive(Debug)]
pub struct PinnedClientCert {
    expected: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl PinnedClientCert {
    /// Pins `expected`, checking signatures with `provider`.
    pub fn new(expected: CertificateDer<'static>, provider: Arc<CryptoProvider>) -> Self {
        Self { expected, provider }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: Go's client then offers its only certificate.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!(
                "refused a TLS client whose certificate is not the one Terraform announced"
            );
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A server-side TLS connection that tonic can serve.
pub struct TlsConn<IO>(pub tokio_rustls::server::TlsStream<IO>);

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsConn<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsConn<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

impl<IO> tonic::transport::server::Connected for TlsConn<IO> {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p521_ca_cert() -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn pinned_verifier_accepts_only_the_announced_cert() {
        let expected = p521_ca_cert();
        let other = p521_ca_cert();
        let v = PinnedClientCert::new(expected.clone(), crypto_provider());
        assert!(v.client_auth_mandatory());
        assert!(v
            .verify_client_cert(&expected, &[], UnixTime::now())
            .is_ok());
        assert!(v.verify_client_cert(&other, &[], UnixTime::now()).is_err());
        assert!(v
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    #[test]
    fn parses_pem_client_cert() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = parse_client_cert(&cert.pem()).unwrap();
        assert_eq!(der.as_ref(), cert.der().as_ref());
        assert!(matches!(
            parse_client_cert("nothing"),
            Err(TlsError::NoClientCert)
        ));
    }

    #[test]
    fn server_config_builds_with_h2() {
        let id = ServerIdentity::generate().unwrap();
        let cfg = id.server_config(p521_ca_cert()).unwrap();
        assert_eq!(cfg.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(format!("{id:?}").contains("ServerIdentity"));
    }
}
