//! The tfplugin6 `Provider` service: a thin adapter between the wire and a
//! [`ProviderServer`]. It knows no provider: every RPC runs the same
//! template ([`Adapter::serve`]) over the converters in
//! [`fromproto`](super::fromproto) and [`toproto`](super::toproto).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument as _;

use super::fromproto::{self, FromProto};
use super::MAX_MESSAGE_SIZE;
use crate::tfprotov6::{EventStream, ProviderServer};
use crate::wire::tfplugin6;
use tfplugin6::provider_server::{Provider, ProviderServer as WireServer};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Wraps a provider in the generated tonic service, with Terraform's
/// message size limits.
pub(super) fn service<P: ProviderServer>(provider: P) -> WireServer<Adapter<P>> {
    WireServer::new(Adapter {
        provider: Arc::new(provider),
        stop: StopSignal::default(),
    })
    .max_decoding_message_size(MAX_MESSAGE_SIZE)
    .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// The adapter between the wire and a [`ProviderServer`].
pub(super) struct Adapter<P> {
    provider: Arc<P>,
    stop: StopSignal,
}

/// The source of every call's stoppable context, as in terraform-plugin-go:
/// `StopProvider` cancels the calls in flight, and later calls on the same
/// server start with a fresh token rather than born cancelled.
#[derive(Default)]
struct StopSignal(Mutex<CancellationToken>);

impl StopSignal {
    /// The token of a call starting now.
    fn token(&self) -> CancellationToken {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .child_token()
    }

    /// Cancels every call in flight and arms a fresh token.
    fn stop_in_flight(&self) {
        let mut current = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        current.cancel();
        *current = CancellationToken::new();
    }
}

impl<P: ProviderServer> Adapter<P> {
    /// The template of every RPC: trace (a span naming the RPC and the
    /// type, with the duration logged), a stoppable context, convert the
    /// request, call the provider, convert the answer back.
    async fn serve<'a, Req, Out, Resp, Fut>(
        &'a self,
        rpc: &'static str,
        req: Req,
        call: impl FnOnce(&'a P, CancellationToken, Req::Request) -> Fut + Send,
    ) -> Resp
    where
        Req: FromProto,
        Fut: Future<Output = Out> + Send + 'a,
        Resp: From<Out>,
    {
        let span = tracing::debug_span!("rpc", tf_rpc = rpc, tf_resource_type = req.type_name());
        async move {
            let start = Instant::now();
            tracing::debug!("received request");
            let out = call(&self.provider, self.stop.token(), req.convert()).await;
            tracing::debug!(
                duration_ms = start.elapsed().as_millis() as u64,
                "served request"
            );
            Resp::from(out)
        }
        .instrument(span)
        .await
    }
}

/// A one-item stream: the server-streaming RPCs the trait leaves
/// unsupported answer a single event.
fn once<T: Send + 'static>(item: T) -> BoxStream<T> {
    Box::pin(futures::stream::iter([Ok(item)]))
}

/// A provider's event stream as wire events.
fn wire_stream<E, W>(events: EventStream<E>) -> BoxStream<W>
where
    E: Send + 'static,
    W: From<E> + Send + 'static,
{
    use futures::StreamExt as _;
    Box::pin(events.map(|e| Ok(W::from(e))))
}

/// Implements the tonic service: one row per RPC, `method(message module) =
/// RpcName`, each running [`Adapter::serve`] and calling the
/// [`ProviderServer`] method of the same name. Rows marked `default` call
/// one of the trait's unsupported-RPC defaults, which take no stop token.
/// The RPCs that need more than a row follow the tables.
macro_rules! provider_service {
    (
        unary { $($method:ident($msg:ident) = $rpc:ident $(, $default:ident)?;)* }
        server_streaming { $($smethod:ident -> $stream:ident<$event:ty> = $srpc:ident;)* }
        $($special:tt)*
    ) => {
        #[tonic::async_trait]
        impl<P: ProviderServer> Provider for Adapter<P> {
            $(
                async fn $method(
                    &self,
                    req: Request<tfplugin6::$msg::Request>,
                ) -> Result<Response<tfplugin6::$msg::Response>, Status> {
                    let served = self.serve(stringify!($rpc), req.into_inner(), |p, stop, r| {
                        provider_service!(@call p.$method(stop, r) $($default)?)
                    });
                    Ok(Response::new(served.await))
                }
            )*

            $(
                type $stream = BoxStream<$event>;

                async fn $smethod(
                    &self,
                    req: Request<tfplugin6::$smethod::Request>,
                ) -> Result<Response<Self::$stream>, Status> {
                    let served = self.serve(stringify!($srpc), req.into_inner(), |p, _stop, r| {
                        p.$smethod(r)
                    });
                    Ok(Response::new(once::<$event>(served.await)))
                }
            )*

            $($special)*
        }
    };
    (@call $p:ident.$method:ident($stop:ident, $r:ident)) => { $p.$method($stop, $r) };
    (@call $p:ident.$method:ident($stop:ident, $r:ident) default) => {{
        drop($stop);
        $p.$method($r)
    }};
}

provider_service! {
    unary {
        get_metadata(get_metadata) = GetMetadata;
        get_provider_schema(get_provider_schema) = GetProviderSchema;
        validate_provider_config(validate_provider_config) = ValidateProviderConfig;
        validate_resource_config(validate_resource_config) = ValidateResourceConfig;
        validate_data_resource_config(validate_data_resource_config) = ValidateDataResourceConfig;
        upgrade_resource_state(upgrade_resource_state) = UpgradeResourceState;
        get_resource_identity_schemas(get_resource_identity_schemas) = GetResourceIdentitySchemas;
        upgrade_resource_identity(upgrade_resource_identity) = UpgradeResourceIdentity;
        configure_provider(configure_provider) = ConfigureProvider;
        read_resource(read_resource) = ReadResource;
        plan_resource_change(plan_resource_change) = PlanResourceChange;
        apply_resource_change(apply_resource_change) = ApplyResourceChange;
        import_resource_state(import_resource_state) = ImportResourceState;
        move_resource_state(move_resource_state) = MoveResourceState, default;
        read_data_source(read_data_source) = ReadDataSource;
        generate_resource_config(generate_resource_config) = GenerateResourceConfig;
        validate_ephemeral_resource_config(validate_ephemeral_resource_config) =
            ValidateEphemeralResourceConfig, default;
        open_ephemeral_resource(open_ephemeral_resource) = OpenEphemeralResource, default;
        renew_ephemeral_resource(renew_ephemeral_resource) = RenewEphemeralResource, default;
        close_ephemeral_resource(close_ephemeral_resource) = CloseEphemeralResource, default;
        validate_list_resource_config(validate_list_resource_config) =
            ValidateListResourceConfig;
        get_functions(get_functions) = GetFunctions;
        call_function(call_function) = CallFunction, default;
        // The RPC is named ValidateStateStoreConfig, its messages ValidateStateStore.
        validate_state_store_config(validate_state_store) = ValidateStateStoreConfig, default;
        configure_state_store(configure_state_store) = ConfigureStateStore, default;
        lock_state(lock_state) = LockState, default;
        unlock_state(unlock_state) = UnlockState, default;
        get_states(get_states) = GetStates, default;
        delete_state(delete_state) = DeleteState, default;
        plan_action(plan_action) = PlanAction;
        validate_action_config(validate_action_config) = ValidateActionConfig;
    }

    server_streaming {
        read_state_bytes -> ReadStateBytesStream<tfplugin6::read_state_bytes::Response> = ReadStateBytes;
    }

    type ListResourceStream = BoxStream<tfplugin6::list_resource::Event>;

    /// The template opens the provider's stream; each event is converted
    /// as it comes.
    async fn list_resource(
        &self,
        req: Request<tfplugin6::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        let events = self.serve("ListResource", req.into_inner(), |p, stop, r| {
            p.list_resource(stop, r)
        });
        Ok(Response::new(wire_stream(events.await)))
    }

    type InvokeActionStream = BoxStream<tfplugin6::invoke_action::Event>;

    /// As `list_resource`.
    async fn invoke_action(
        &self,
        req: Request<tfplugin6::invoke_action::Request>,
    ) -> Result<Response<Self::InvokeActionStream>, Status> {
        let events = self.serve("InvokeAction", req.into_inner(), |p, stop, r| {
            p.invoke_action(stop, r)
        });
        Ok(Response::new(wire_stream(events.await)))
    }

    /// A client stream: read to its end first (see
    /// [`fromproto::write_state_bytes`]), then the template.
    async fn write_state_bytes(
        &self,
        req: Request<Streaming<tfplugin6::write_state_bytes::RequestChunk>>,
    ) -> Result<Response<tfplugin6::write_state_bytes::Response>, Status> {
        let meta = fromproto::write_state_bytes(req.into_inner()).await;
        let served = self.serve("WriteStateBytes", meta, |p, _stop, r| {
            p.write_state_bytes(r)
        });
        Ok(Response::new(served.await))
    }

    /// The template, then (after the provider's own hook, as in
    /// terraform-plugin-go) every call in flight is cancelled.
    async fn stop_provider(
        &self,
        req: Request<tfplugin6::stop_provider::Request>,
    ) -> Result<Response<tfplugin6::stop_provider::Response>, Status> {
        let served = self.serve("StopProvider", req.into_inner(), |p, stop, r| {
            p.stop_provider(stop, r)
        });
        let resp = served.await;
        tracing::info!("StopProvider received: cancelling in-flight work");
        self.stop.stop_in_flight();
        Ok(Response::new(resp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfprotov6::provider::tests::Minimal;

    fn adapter() -> Adapter<Minimal> {
        Adapter {
            provider: Arc::new(Minimal),
            stop: StopSignal::default(),
        }
    }

    /// Issue 9: StopProvider cancels the work in flight, and later requests
    /// on the same server get a fresh context, as in terraform-plugin-go.
    #[tokio::test]
    async fn stop_provider_cancels_in_flight_calls_only() {
        let a = adapter();
        let in_flight = a.stop.token();
        let resp = a
            .stop_provider(Request::new(tfplugin6::stop_provider::Request {}))
            .await
            .map(Response::into_inner);
        assert_eq!(resp.ok().map(|r| r.error), Some(String::new()));
        assert!(in_flight.is_cancelled(), "work in flight is stopped");
        let later = a.stop.token();
        assert!(!later.is_cancelled(), "a later request starts afresh");
        a.stop.stop_in_flight();
        assert!(later.is_cancelled());
        assert!(!a.stop.token().is_cancelled());
    }

    /// Issue 13: an RPC the provider leaves to the trait's default answers
    /// the generic diagnostic, naming the RPC and the type, not failing.
    #[tokio::test]
    async fn default_unsupported_rpc_answers_the_generic_diagnostic() {
        let resp = adapter()
            .open_ephemeral_resource(Request::new(tfplugin6::open_ephemeral_resource::Request {
                type_name: "x_secret".into(),
                ..Default::default()
            }))
            .await
            .map(Response::into_inner);
        let diags = resp.map(|r| r.diagnostics).unwrap_or_default();
        assert_eq!(diags.len(), 1);
        let d = &diags[0];
        assert_eq!(d.severity, tfplugin6::diagnostic::Severity::Error as i32);
        assert_eq!(d.summary, "OpenEphemeralResource is not supported");
        assert!(d.detail.contains("\"x_secret\""), "{}", d.detail);

        let events = adapter()
            .invoke_action(Request::new(tfplugin6::invoke_action::Request {
                action_type: "x_reboot".into(),
                ..Default::default()
            }))
            .await;
        let mut stream = match events {
            Ok(r) => r.into_inner(),
            Err(status) => panic!("InvokeAction failed the RPC: {status}"),
        };
        use futures::StreamExt as _;
        let event = stream.next().await.and_then(Result::ok);
        let completed = match event.and_then(|e| e.r#type) {
            Some(tfplugin6::invoke_action::event::Type::Completed(c)) => c,
            other => panic!("expected a completion event, got {other:?}"),
        };
        assert_eq!(
            completed.diagnostics[0].summary,
            "InvokeAction is not supported"
        );
        assert!(stream.next().await.is_none(), "one event only");
    }

    #[tokio::test]
    async fn metadata_lists_the_schema_type_names() {
        let meta = adapter()
            .get_metadata(Request::new(tfplugin6::get_metadata::Request {}))
            .await
            .map(Response::into_inner);
        let names: Vec<String> = meta
            .map(|m| m.resources.into_iter().map(|r| r.type_name).collect())
            .unwrap_or_default();
        assert_eq!(names, ["x_thing"]);
    }
}
