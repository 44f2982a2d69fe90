//! The gRPC layer: go-plugin's handshake, mutual TLS, the side services and
//! a thin tfplugin6 adapter that converts wire types to the provider-facing
//! types in [`crate::tfprotov6`] and back.

mod fromproto;
pub mod handshake;
pub(crate) mod plugin;
mod provider_grpc;
pub mod tls;
mod toproto;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

use tokio_util::sync::CancellationToken;
use tonic::transport::Server;

use crate::tfprotov6::ProviderServer;
use crate::wire::plugin::grpc_broker_server::GrpcBrokerServer;
use crate::wire::plugin::grpc_controller_server::GrpcControllerServer;
use crate::wire::plugin::grpc_stdio_server::GrpcStdioServer;
use handshake::{HandshakeError, LaunchEnv};

/// Terraform raises gRPC's message limits to 256 MiB each way; so do we.
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// How long a shutdown waits for in-flight calls before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(300);

/// How the server was asked to run.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// `--debug`: plaintext, no cookie, and print `TF_REATTACH_PROVIDERS`.
    pub debug: bool,
    /// The provider's full source address, for the reattach line.
    pub provider_address: String,
}

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The launch handshake failed.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// Terraform gave no client certificate and did not disable TLS.
    #[error(
        "Terraform did not send a client certificate (PLUGIN_CLIENT_CERT), so the \
         connection could not be mutually authenticated. This provider refuses plaintext \
         unless TF_DISABLE_PLUGIN_TLS is set."
    )]
    NoClientCert,
    /// Writing the handshake line failed.
    #[error("writing the handshake line: {0}")]
    Stdout(std::io::Error),
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// A private directory holding the unix socket, removed on drop.
struct SocketDir {
    dir: tempfile::TempDir,
}

impl SocketDir {
    fn create(parent: Option<&Path>) -> std::io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("tf-eks-plugin");
        let dir = match parent {
            Some(p) => builder.tempdir_in(p)?,
            None => builder.tempdir()?,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Self { dir })
    }

    fn socket_path(&self) -> PathBuf {
        self.dir.path().join("plugin.sock")
    }
}

/// Runs the provider as a go-plugin server until Terraform shuts it down:
/// check the launch, bind, print the handshake line, then serve.
pub async fn serve<P: ProviderServer>(provider: P, opts: ServeOptions) -> Result<(), ServeError> {
    let env = LaunchEnv::from_process();
    if !opts.debug {
        env.check_cookie()?;
        env.negotiate_version()?;
        ignore_interrupts();
    }
    let shutdown = CancellationToken::new();
    let listener = listener::bind(&env)?;
    let tls_config = server_tls(&env, &opts)?;
    print_handshake(
        &opts,
        &listener,
        tls_config.as_ref().map(|(_, der)| der.as_ref()),
    )?;
    // Nothing below is needed to print the handshake line, and none of it
    // can fail: building the gRPC services waits until Terraform has its
    // line (it connects once it has read it), off the start-up critical
    // path (issue 14, bench-results/experiments/20261201-handshake).
    let router = services(provider, &opts, &shutdown).await;
    tracing::info!(
        network = %listener.network(),
        address = %listener.address(),
        tls = tls_config.is_some(),
        "provider listening"
    );
    if opts.debug {
        let s = shutdown.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            s.cancel();
        });
    }
    let incoming = listener.incoming(tls_config.map(|(cfg, _)| cfg), shutdown.clone());
    let serve = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    tokio::pin!(serve);
    tokio::select! {
        res = &mut serve => res?,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::debug!("shutdown grace period over"),
    }
    tracing::debug!("provider stopped");
    Ok(())
}

/// The server's TLS configuration and certificate (DER) for Terraform's
/// mutual TLS, or `None` in debug mode or with `TF_DISABLE_PLUGIN_TLS`.
fn server_tls(
    env: &LaunchEnv,
    opts: &ServeOptions,
) -> Result<Option<(Arc<rustls::ServerConfig>, CertificateDer<'static>)>, ServeError> {
    if opts.debug || env.disable_tls {
        return Ok(None);
    }
    let pem = env.client_cert.as_deref().ok_or(ServeError::NoClientCert)?;
    let client_cert = tls::parse_client_cert(pem)?;
    let identity = tls::ServerIdentity::generate()?;
    Ok(Some((
        identity.server_config(client_cert)?,
        identity.cert_der,
    )))
}

/// Prints go-plugin's handshake line (or, in debug mode, the
/// `TF_REATTACH_PROVIDERS` instructions) on stdout.
fn print_handshake(
    opts: &ServeOptions,
    listener: &listener::Bound,
    cert_der: Option<&[u8]>,
) -> Result<(), ServeError> {
    let line = if opts.debug {
        debug_instructions(
            &opts.provider_address,
            &listener.network(),
            &listener.address(),
        )
    } else {
        handshake::handshake_line(&listener.network(), &listener.address(), cert_der)
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").map_err(ServeError::Stdout)?;
    out.flush().map_err(ServeError::Stdout)
}

/// The gRPC router: health, the tfplugin6 provider and go-plugin's
/// controller, stdio and broker services.
async fn services<P: ProviderServer>(
    provider: P,
    opts: &ServeOptions,
    shutdown: &CancellationToken,
) -> tonic::transport::server::Router {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    Server::builder()
        .add_service(health_service)
        .add_service(provider_grpc::service(provider))
        .add_service(GrpcControllerServer::new(plugin::Controller {
            shutdown: if opts.debug {
                // A debug server outlives each Terraform run; Ctrl-C ends it.
                CancellationToken::new()
            } else {
                shutdown.clone()
            },
        }))
        .add_service(GrpcStdioServer::new(plugin::Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcBrokerServer::new(plugin::Broker {
            shutdown: shutdown.clone(),
        }))
}

/// go-plugin servers ignore SIGINT: Terraform forwards Ctrl-C to the whole
/// process group, then asks us to stop through `StopProvider`, and an
/// interrupted apply must still be able to report its state.
fn ignore_interrupts() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut sigint) = signal(SignalKind::interrupt()) {
            tokio::spawn(async move {
                while sigint.recv().await.is_some() {
                    tracing::debug!("ignoring SIGINT; Terraform will send StopProvider");
                }
            });
        }
    }
}

fn debug_instructions(address: &str, network: &str, addr: &str) -> String {
    let reattach = serde_json::json!({
        address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": network, "String": addr },
        }
    });
    format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\
         \tTF_REATTACH_PROVIDERS='{reattach}'\n\n\
         Press Ctrl-C to stop the provider."
    )
}

mod listener {
    //! The socket Terraform connects to: a unix socket in a private directory,
    //! or a loopback TCP port where unix sockets are unavailable.

    use std::sync::Arc;

    use futures::Stream;
    use tokio::io::{AsyncRead, AsyncWrite};
    use tokio_util::sync::CancellationToken;

    use super::{HandshakeError, LaunchEnv};
    use crate::server::tls::TlsConn;

    /// A bound listener.
    pub(super) struct Bound {
        listener: Listener,
        #[cfg(unix)]
        _dir: super::SocketDir,
        address: String,
    }

    /// Either a plaintext or a TLS connection.
    pub(super) enum Conn<IO> {
        Plain(IO),
        Tls(Box<TlsConn<IO>>),
    }

    #[cfg(unix)]
    pub(super) fn bind(env: &LaunchEnv) -> Result<Bound, HandshakeError> {
        let dir = super::SocketDir::create(env.unix_socket_dir.as_deref())?;
        let path = dir.socket_path();
        let listener = tokio::net::UnixListener::bind(&path)?;
        Ok(Bound {
            listener,
            _dir: dir,
            address: path.to_string_lossy().into_owned(),
        })
    }

    #[cfg(not(unix))]
    pub(super) fn bind(env: &LaunchEnv) -> Result<Bound, HandshakeError> {
        let (min, max) = env.port_range()?;
        for port in min..=max {
            if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port)) {
                l.set_nonblocking(true)?;
                let listener = tokio::net::TcpListener::from_std(l)?;
                return Ok(Bound {
                    listener,
                    address: format!("127.0.0.1:{port}"),
                });
            }
        }
        Err(HandshakeError::PortRange(format!(
            "no free port between {min} and {max}"
        )))
    }

    impl Bound {
        pub(super) fn network(&self) -> String {
            if cfg!(unix) { "unix" } else { "tcp" }.to_owned()
        }

        pub(super) fn address(&self) -> String {
            self.address.clone()
        }

        /// Accepts connections; with TLS, each one is handshaken in its own
        /// task and refused connections are dropped and logged.
        pub(super) fn incoming(
            self,
            tls: Option<Arc<rustls::ServerConfig>>,
            shutdown: CancellationToken,
        ) -> impl Stream<Item = std::io::Result<Conn<<Listener as Accept>::Io>>> {
            let (tx, rx) = tokio::sync::mpsc::channel(16);
            tokio::spawn(async move {
                // `self` (and with it the socket directory) lives as long as the loop.
                let bound = self;
                let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
                loop {
                    let conn = tokio::select! {
                        () = shutdown.cancelled() => break,
                        c = bound.listener.accept_io() => c,
                    };
                    let stream = match conn {
                        Ok(stream) => stream,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            continue;
                        }
                    };
                    let Some(acceptor) = acceptor.clone() else {
                        if tx.send(Ok(Conn::Plain(stream))).await.is_err() {
                            break;
                        }
                        continue;
                    };
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        match acceptor.accept(stream).await {
                            Ok(tls) => {
                                let _ = tx.send(Ok(Conn::Tls(Box::new(TlsConn(tls))))).await;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "refused a connection at the TLS layer");
                            }
                        }
                    });
                }
            });
            tokio_stream::wrappers::ReceiverStream::new(rx)
        }
    }

    #[cfg(unix)]
    type Listener = tokio::net::UnixListener;
    #[cfg(not(unix))]
    type Listener = tokio::net::TcpListener;

    /// A listener that yields byte streams.
    pub(super) trait Accept {
        /// The accepted stream.
        type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
        /// Waits for the next connection.
        fn accept_io(&self) -> impl std::future::Future<Output = std::io::Result<Self::Io>> + Send;
    }

    #[cfg(unix)]
    impl Accept for tokio::net::UnixListener {
        type Io = tokio::net::UnixStream;
        async fn accept_io(&self) -> std::io::Result<Self::Io> {
            self.accept().await.map(|(s, _)| s)
        }
    }

    #[cfg(not(unix))]
    impl Accept for tokio::net::TcpListener {
        type Io = tokio::net::TcpStream;
        async fn accept_io(&self) -> std::io::Result<Self::Io> {
            self.accept().await.map(|(s, _)| s)
        }
    }

    mod io_impls {
        //! Delegating I/O impls so tonic can serve either kind of connection.

        use std::pin::Pin;
        use std::task::{Context, Poll};

        use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

        use super::Conn;

        impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Conn<IO> {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<std::io::Result<()>> {
                match self.get_mut() {
                    Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
                    Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
                }
            }
        }

        impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Conn<IO> {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<std::io::Result<usize>> {
                match self.get_mut() {
                    Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
                    Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
                }
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
                match self.get_mut() {
                    Conn::Plain(s) => Pin::new(s).poll_flush(cx),
                    Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
                }
            }

            fn poll_shutdown(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<std::io::Result<()>> {
                match self.get_mut() {
                    Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
                    Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
                }
            }
        }

        impl<IO> tonic::transport::server::Connected for Conn<IO> {
            type ConnectInfo = ();

            fn connect_info(&self) -> Self::ConnectInfo {}
        }
    }
}
