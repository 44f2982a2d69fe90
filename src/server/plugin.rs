//! go-plugin's side services: GRPCController (Terraform asks us to exit),
//! GRPCStdio (Terraform reads our stdio through it) and GRPCBroker (extra
//! connections, which this provider never opens).

use std::pin::Pin;

use futures::{Stream, StreamExt as _};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use crate::wire::plugin::grpc_broker_server::GrpcBroker;
use crate::wire::plugin::grpc_controller_server::GrpcController;
use crate::wire::plugin::grpc_stdio_server::GrpcStdio;
use crate::wire::plugin::{ConnInfo, Empty, StdioData};

/// A boxed response stream.
type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Serves `plugin.GRPCController`: `Shutdown` ends the process.
pub(crate) struct Controller {
    /// Cancelled when Terraform asks us to shut down.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _req: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("GRPCController.Shutdown received");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// Serves `plugin.GRPCStdio`. We write logs straight to stderr, which
/// Terraform already reads, so the stream carries nothing and stays open
/// until shutdown.
pub(crate) struct Stdio {
    /// Ends the stream at shutdown, so the server can stop promptly.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = BoxStream<StdioData>;

    async fn stream_stdio(
        &self,
        _req: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let shutdown = self.shutdown.clone();
        let stream = futures::stream::once(async move {
            shutdown.cancelled().await;
            None
        })
        .filter_map(|x: Option<Result<StdioData, Status>>| async move { x });
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Serves `plugin.GRPCBroker`. The provider never brokers connections; the
/// stream is accepted, its messages are drained, and it closes when the
/// client closes it or at shutdown.
pub(crate) struct Broker {
    /// Ends the stream at shutdown.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcBroker for Broker {
    type StartStreamStream = BoxStream<ConnInfo>;

    async fn start_stream(
        &self,
        req: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut inbound = req.into_inner();
        let shutdown = self.shutdown.clone();
        let stream = futures::stream::once(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    msg = inbound.message() => match msg {
                        Ok(Some(info)) => tracing::debug!(service_id = info.service_id, "ignoring broker connection info"),
                        Ok(None) | Err(_) => break,
                    },
                }
            }
            None
        })
        .filter_map(|x: Option<Result<ConnInfo, Status>>| async move { x });
        Ok(Response::new(Box::pin(stream)))
    }
}
