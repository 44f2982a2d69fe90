//! The one template of every AWS API call: time it, send it, flatten a
//! failure into an [`AwsError`] (which keeps the AWS error code and request
//! id) and emit one `tracing` debug event with the service, operation,
//! subject, request id and duration.
//!
//! A method of [`AwsClients`] builds its request with the SDK's fluent
//! builder and hands a closure making the unsent future to
//! [`AwsClients::send`] (or a paginator to [`AwsClients::all_pages`]):
//!
//! ```ignore
//! let out = self
//!     .send(Call::kms("DescribeKey", key_id), || self.kms().describe_key().key_id(key_id).send())
//!     .await?;
//! ```
//!
//! Bodies and credentials are never logged: the event carries only the
//! names above, and the subject is a cluster name, key id or role ARN.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::Instant;

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;

use super::client::{AwsClients, Service};
use super::error::AwsError;

/// One AWS API call, for its error and its trace event: the service, the
/// operation and what the call is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    /// The service.
    pub(crate) service: Service,
    /// The API operation, e.g. `DescribeCluster`.
    pub(crate) operation: &'static str,
    /// What the call is about: a cluster name, a key id, a role ARN, a
    /// region. Never a secret.
    pub(crate) subject: &'a str,
}

impl<'a> Call<'a> {
    /// An EKS call about `subject`.
    pub(crate) fn eks(operation: &'static str, subject: &'a str) -> Self {
        Call {
            service: Service::Eks,
            operation,
            subject,
        }
    }

    /// A KMS call about `subject`.
    pub(crate) fn kms(operation: &'static str, subject: &'a str) -> Self {
        Call {
            service: Service::Kms,
            operation,
            subject,
        }
    }

    /// An STS call about `subject`.
    pub(crate) fn sts(operation: &'static str, subject: &'a str) -> Self {
        Call {
            service: Service::Sts,
            operation,
            subject,
        }
    }

    /// Times `request` and traces its outcome, but leaves a failure as the
    /// SDK's error: for the STS calls of the credential providers, whose
    /// error must travel inside the `CredentialsError` chain (the EKS or
    /// KMS call that needed the credentials reads the STS code and request
    /// id from there, see `AwsError::from_sdk`).
    pub(crate) async fn send_raw<O, E>(
        self,
        request: impl Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    ) -> Result<O, SdkError<E, HttpResponse>>
    where
        O: RequestId,
        E: ProvideErrorMetadata,
    {
        let started = Instant::now();
        let result = request.await;
        match &result {
            Ok(out) => self.succeeded(started, out.request_id()),
            Err(e) => self.failed(started, e.request_id(), &"sdk", e.code()),
        }
        result
    }

    /// Emits the debug event of a finished call.
    pub(crate) fn trace<O: RequestId>(&self, started: Instant, result: &Result<O, AwsError>) {
        match result {
            Ok(out) => self.succeeded(started, out.request_id()),
            Err(e) => self.failed(started, e.request_id.as_deref(), &e.kind, e.code.as_deref()),
        }
    }

    fn succeeded(&self, started: Instant, request_id: Option<&str>) {
        self.event(started, request_id, None);
    }

    fn failed(
        &self,
        started: Instant,
        request_id: Option<&str>,
        kind: &dyn fmt::Display,
        code: Option<&str>,
    ) {
        self.event(started, request_id, Some((kind, code.unwrap_or(""))));
    }

    /// The one debug event per call; `failure` adds the error's kind and
    /// code (fields left out on success).
    fn event(
        &self,
        started: Instant,
        request_id: Option<&str>,
        failure: Option<(&dyn fmt::Display, &str)>,
    ) {
        tracing::debug!(
            service = self.service.name(),
            operation = self.operation,
            subject = self.subject,
            request_id = request_id.unwrap_or(""),
            duration_ms = started.elapsed().as_millis() as u64,
            kind = failure.map(|(kind, _)| tracing::field::display(kind)),
            code = failure.map(|(_, code)| code),
            "AWS call {}",
            if failure.is_some() {
                "failed"
            } else {
                "succeeded"
            }
        );
    }
}

impl AwsClients {
    /// Sends one request (the SDK's unsent `.send()` future) and returns its
    /// output, or its failure as an [`AwsError`] with the error code, message,
    /// request id and HTTP status (a timeout also names the endpoint and the
    /// configured bounds). Either way one debug event is emitted.
    ///
    /// `request` makes the future (e.g. `|| builder.send()`) rather than being
    /// it: the SDK's send futures are several kilobytes, and one made here
    /// lives only inside this call's future. A future made by the caller and
    /// passed in would be stored twice (in the caller's future, where a
    /// moved-from local keeps its space across the `.await`, and in this
    /// one), and every future around it, up to the RPC, would be that much
    /// larger and copied at that size each time it is moved (issue 13's
    /// instruction count: about 90 k instructions per resource of `memcpy`
    /// in a refreshed plan).
    pub(crate) async fn send<O, E, F>(
        &self,
        call: Call<'_>,
        request: impl FnOnce() -> F,
    ) -> Result<O, AwsError>
    where
        O: RequestId,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        F: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    {
        let started = Instant::now();
        let result = request().await;
        self.finish(call, started, result)
    }

    /// Every page of a paginated call, in order: `items` picks each page's
    /// entries. Each page is traced like a [`send`](Self::send) (its
    /// duration counted from the first request), then one event sums up;
    /// the first failing page ends the call with its error.
    pub(crate) async fn all_pages<O, E, T: Clone>(
        &self,
        call: Call<'_>,
        mut pages: PaginationStream<Result<O, SdkError<E, HttpResponse>>>,
        items: impl Fn(&O) -> &[T],
    ) -> Result<Vec<T>, AwsError>
    where
        O: RequestId,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let started = Instant::now();
        let mut all = Vec::new();
        let mut page_count = 0u32;
        while let Some(page) = pages.next().await {
            all.extend_from_slice(items(&self.finish(call, started, page)?));
            page_count += 1;
        }
        tracing::debug!(
            service = call.service.name(),
            operation = call.operation,
            subject = call.subject,
            pages = page_count,
            items = all.len(),
            duration_ms = started.elapsed().as_millis() as u64,
            "AWS paginated call finished"
        );
        Ok(all)
    }

    /// Flattens and traces the result of one request started at `started`.
    fn finish<O, E>(
        &self,
        call: Call<'_>,
        started: Instant,
        result: Result<O, SdkError<E, HttpResponse>>,
    ) -> Result<O, AwsError>
    where
        O: RequestId,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let result =
            result.map_err(|e| self.annotate(AwsError::from_sdk(call.operation, e), call.service));
        call.trace(started, &result);
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::types::KeyMetadata;
    use aws_sdk_kms::Client;
    use aws_smithy_mocks::mock;
    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, SubscriberExt as _};
    use tracing_subscriber::Layer;

    use super::*;
    use crate::aws::test_support::{clients, json_error};
    use crate::aws::AwsErrorKind;

    /// One event's fields as (name, value) text pairs.
    type Event = Vec<(String, String)>;

    /// Records every event.
    #[derive(Clone, Default)]
    struct Events(Arc<Mutex<Vec<Event>>>);

    struct Fields<'a>(&'a mut Vec<(String, String)>);

    impl Visit for Fields<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.push((field.name().to_owned(), format!("{value:?}")));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.push((field.name().to_owned(), value.to_owned()));
        }
    }

    thread_local! {
        /// The recorder of the test running on this thread, if any.
        static RECORDING: std::cell::RefCell<Option<Events>> = const { std::cell::RefCell::new(None) };
    }

    /// The process-wide subscriber of this test binary: hands each event to
    /// the recorder of the thread that emitted it. A global subscriber,
    /// not a per-thread `set_default`, because tracing caches each
    /// callsite's interest process-wide: a callsite first hit (or an
    /// interest rebuild run) on another thread while this thread's scoped
    /// subscriber was not yet registered could cache "never" and drop the
    /// event (seen as a flaky test under load).
    struct Forward;

    impl<S: tracing::Subscriber> Layer<S> for Forward {
        fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
            RECORDING.with(|r| {
                if let Some(events) = &*r.borrow() {
                    let mut fields = Vec::new();
                    event.record(&mut Fields(&mut fields));
                    events.0.lock().expect("lock").push(fields);
                }
            });
        }
    }

    impl Events {
        /// The events with a field `operation` equal to `operation`.
        fn of(&self, operation: &str) -> Vec<Event> {
            let events = self.0.lock().expect("lock");
            events
                .iter()
                .filter(|e| e.iter().any(|(k, v)| k == "operation" && v == operation))
                .cloned()
                .collect()
        }
    }

    fn field<'a>(event: &'a [(String, String)], name: &str) -> Option<&'a str> {
        event
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Runs `f` with `events` recording what this thread emits.
    async fn recorded<T>(events: &Events, f: impl Future<Output = T>) -> T {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Forward))
                .expect("no other global subscriber in the unit tests");
        });
        RECORDING.with(|r| *r.borrow_mut() = Some(events.clone()));
        let out = f.await;
        RECORDING.with(|r| *r.borrow_mut() = None);
        out
    }

    /// DescribeKey of `key` through [`AwsClients::send`], answered by
    /// `rule`: the result and the one event traced for it.
    async fn traced_describe_key(
        rule: &aws_smithy_mocks::Rule,
        key: &str,
    ) -> (Result<DescribeKeyOutput, AwsError>, Event) {
        let aws = clients(&[], &[rule]);
        let events = Events::default();
        let request = || aws.kms().describe_key().key_id(key).send();
        let result = recorded(&events, aws.send(Call::kms("DescribeKey", key), request)).await;
        let mut traced = events.of("DescribeKey");
        assert_eq!(traced.len(), 1, "{traced:?}");
        (result, traced.remove(0))
    }

    #[tokio::test]
    async fn send_returns_the_output_and_traces_the_call() {
        let rule = mock!(Client::describe_key).then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(KeyMetadata::builder().key_id("k-1").build().unwrap())
                .build()
        });
        let (out, event) = traced_describe_key(&rule, "alias/eks").await;
        assert_eq!(out.unwrap().key_metadata().map(|m| m.key_id()), Some("k-1"));
        assert_eq!(field(&event, "message"), Some("AWS call succeeded"));
        assert_eq!(field(&event, "service"), Some("kms"));
        assert_eq!(field(&event, "subject"), Some("alias/eks"));
        assert!(field(&event, "duration_ms").is_some(), "{event:?}");
        assert!(field(&event, "request_id").is_some(), "{event:?}");
    }

    #[tokio::test]
    async fn send_keeps_code_and_request_id_of_a_failure_and_traces_them() {
        let rule = mock!(Client::describe_key).then_http_response(|| {
            json_error(400, "NotFoundException", "Alias is not found.", "rid-nf")
        });
        let (result, event) = traced_describe_key(&rule, "alias/nope").await;
        let err = result.unwrap_err();
        assert_eq!(err.operation, "DescribeKey");
        assert_eq!(err.kind, AwsErrorKind::Service);
        assert!(err.is_code("NotFoundException"));
        assert_eq!(err.request_id.as_deref(), Some("rid-nf"));
        assert_eq!(err.http_status, Some(400));
        assert_eq!(field(&event, "message"), Some("AWS call failed"));
        assert_eq!(field(&event, "service"), Some("kms"));
        assert_eq!(field(&event, "code"), Some("NotFoundException"));
        assert_eq!(field(&event, "request_id"), Some("rid-nf"));
        assert_eq!(field(&event, "kind"), Some("service"));
    }
}
