//! Issue 19's RPCs driven by our own plugin client against the emulator, no
//! core: resource identity (schemas, import by identity, read, upgrade),
//! the `eks_encryption_config` list resource (paging, limit, resource
//! objects, a cluster deleted while listing, a throttled page),
//! GenerateResourceConfig, and the `eks_encryption_config_check` action
//! (PlanAction, InvokeAction's stream). The request log checks which AWS
//! calls each RPC made. Needs the provider built (`cargo build`) and the
//! emulator's venv (`scripts/install-deps`).

use std::collections::BTreeMap;

use acceptance_tests::emulator::{Fault, KeySpec, ACCOUNT_ID, DEFAULT_REGION};
use acceptance_tests::paths::provider_binary;
use acceptance_tests::plugin_client::proto::tfplugin6;
use acceptance_tests::plugin_client::{
    block_value, decode, encode, identity_type, object_value, provider_client, schema_type,
    terraform_like_client_cert, Plugin,
};
use acceptance_tests::{ClusterSpec, Emulator};
use terraform_provider_eks::tfprotov6::{Type, Value};
use tfplugin6::provider_client::ProviderClient;
use tonic::transport::Channel;

const RESOURCE: &str = "eks_encryption_config";
const ACTION: &str = "eks_encryption_config_check";

/// A configured provider talking to its own emulator.
struct Session {
    c: ProviderClient<Channel>,
    em: Emulator,
    state_ty: Type,
    identity_ty: Type,
    list_ty: Type,
    action_ty: Type,
    // Kept alive: the process and the empty AWS config file it reads.
    _plugin: Plugin,
    _aws_config: tempfile::NamedTempFile,
}

async fn start() -> (Plugin, ProviderClient<Channel>, tempfile::NamedTempFile) {
    let client = terraform_like_client_cert().expect("client certificate");
    let aws_config = tempfile::NamedTempFile::new().expect("AWS config stub");
    let stub = aws_config.path().to_string_lossy().into_owned();
    let plugin = Plugin::spawn(
        &provider_binary(),
        Some(&client.pem),
        &[
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", &stub),
            ("AWS_SHARED_CREDENTIALS_FILE", &stub),
            ("CHECKPOINT_DISABLE", "1"),
        ],
    )
    .expect("spawn the provider");
    let ch = plugin.dial(Some(&client)).await.expect("dial the provider");
    (plugin, provider_client(ch), aws_config)
}

async fn provider_schema(
    c: &mut ProviderClient<Channel>,
) -> tfplugin6::get_provider_schema::Response {
    let schema = c
        .get_provider_schema(tfplugin6::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    schema
}

async fn session() -> Session {
    let em = Emulator::start().expect("start the emulator");
    let (plugin, mut c, aws_config) = start().await;
    let schema = provider_schema(&mut c).await;
    let provider_ty = schema_type(schema.provider.as_ref().unwrap()).unwrap();
    let Type::Object { attributes, .. } = &provider_ty else {
        panic!("provider type {provider_ty:?}")
    };
    let url = Value::string(em.url());
    let endpoints = block_value(
        &attributes["endpoints"],
        &[("eks", url.clone()), ("kms", url.clone()), ("sts", url)],
    )
    .unwrap();
    let config = object_value(
        &provider_ty,
        &[
            ("region", Value::string(DEFAULT_REGION)),
            ("endpoints", endpoints),
        ],
    )
    .unwrap();
    let configured = c
        .configure_provider(tfplugin6::configure_provider::Request {
            terraform_version: "1.15.9".into(),
            config: Some(encode(&config, &provider_ty).unwrap()),
            client_capabilities: None,
        })
        .await
        .expect("ConfigureProvider")
        .into_inner();
    assert!(
        configured.diagnostics.is_empty(),
        "{:?}",
        configured.diagnostics
    );
    let ids = c
        .get_resource_identity_schemas(tfplugin6::get_resource_identity_schemas::Request {})
        .await
        .expect("GetResourceIdentitySchemas")
        .into_inner();
    Session {
        state_ty: schema_type(&schema.resource_schemas[RESOURCE]).unwrap(),
        identity_ty: identity_type(&ids.identity_schemas[RESOURCE]).unwrap(),
        list_ty: schema_type(&schema.list_resource_schemas[RESOURCE]).unwrap(),
        action_ty: schema_type(schema.action_schemas[ACTION].schema.as_ref().unwrap()).unwrap(),
        c,
        em,
        _plugin: plugin,
        _aws_config: aws_config,
    }
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.get_attr(name)
        .unwrap_or_else(|| panic!("no attribute {name} in {v:?}"))
}

fn str_attr<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    attr(v, name).as_str()
}

fn errors(diags: &[tfplugin6::Diagnostic]) -> Vec<&tfplugin6::Diagnostic> {
    diags
        .iter()
        .filter(|d| d.severity == tfplugin6::diagnostic::Severity::Error as i32)
        .collect()
}

/// One listed result, decoded.
#[derive(Debug)]
struct Listed {
    identity: Value,
    display_name: String,
    object: Option<Value>,
}

impl Session {
    fn identity(
        &self,
        account: Option<&str>,
        region: Option<&str>,
        name: &str,
    ) -> tfplugin6::ResourceIdentityData {
        let opt = |s: Option<&str>| s.map(Value::string).unwrap_or(Value::Null);
        let v = Value::object([
            ("account_id", opt(account)),
            ("region", opt(region)),
            ("cluster_name", Value::string(name)),
        ]);
        tfplugin6::ResourceIdentityData {
            identity_data: Some(encode(&v, &self.identity_ty).unwrap()),
        }
    }

    fn decode_identity(&self, id: &Option<tfplugin6::ResourceIdentityData>) -> Value {
        let data = id
            .as_ref()
            .and_then(|i| i.identity_data.as_ref())
            .expect("an identity");
        decode(data, &self.identity_ty).unwrap()
    }

    fn list_config(&self, prefix: Option<&str>) -> tfplugin6::DynamicValue {
        let set: Vec<(&str, Value)> = prefix
            .map(|p| vec![("name_prefix", Value::string(p))])
            .unwrap_or_default();
        encode(&object_value(&self.list_ty, &set).unwrap(), &self.list_ty).unwrap()
    }

    /// Runs ListResource; returns the results and every diagnostic.
    async fn list(
        &mut self,
        prefix: Option<&str>,
        include: bool,
        limit: i64,
    ) -> (Vec<Listed>, Vec<tfplugin6::Diagnostic>) {
        let req = tfplugin6::list_resource::Request {
            type_name: RESOURCE.into(),
            config: Some(self.list_config(prefix)),
            include_resource_object: include,
            limit,
        };
        let mut stream = self
            .c
            .list_resource(req)
            .await
            .expect("ListResource")
            .into_inner();
        let (mut listed, mut diags) = (vec![], vec![]);
        while let Some(ev) = stream.message().await.expect("a ListResource event") {
            diags.extend(ev.diagnostic.clone());
            if ev.identity.is_none() {
                continue;
            }
            listed.push(Listed {
                identity: self.decode_identity(&ev.identity),
                display_name: ev.display_name,
                object: ev
                    .resource_object
                    .as_ref()
                    .map(|o| decode(o, &self.state_ty).unwrap()),
            });
        }
        (listed, diags)
    }

    fn action_config(&self, cluster: &str) -> tfplugin6::DynamicValue {
        let v = object_value(&self.action_ty, &[("cluster_name", Value::string(cluster))]).unwrap();
        encode(&v, &self.action_ty).unwrap()
    }

    /// Runs InvokeAction; returns the progress messages and the completion
    /// events' diagnostics (one Vec per Completed).
    async fn invoke(&mut self, cluster: &str) -> (Vec<String>, Vec<Vec<tfplugin6::Diagnostic>>) {
        use tfplugin6::invoke_action::event::Type as Ev;
        let req = tfplugin6::invoke_action::Request {
            action_type: ACTION.into(),
            config: Some(self.action_config(cluster)),
            client_capabilities: None,
        };
        let mut stream = self
            .c
            .invoke_action(req)
            .await
            .expect("InvokeAction")
            .into_inner();
        let (mut progress, mut completed) = (vec![], vec![]);
        while let Some(ev) = stream.message().await.expect("an InvokeAction event") {
            match ev.r#type {
                Some(Ev::Progress(p)) => {
                    assert!(
                        completed.is_empty(),
                        "progress after Completed: {}",
                        p.message
                    );
                    progress.push(p.message);
                }
                Some(Ev::Completed(c)) => completed.push(c.diagnostics),
                None => panic!("an InvokeAction event without a type"),
            }
        }
        (progress, completed)
    }
}

fn names(listed: &[Listed]) -> Vec<String> {
    listed
        .iter()
        .map(|l| str_attr(&l.identity, "cluster_name").unwrap().to_owned())
        .collect()
}

/// GetProviderSchema, GetMetadata and GetResourceIdentitySchemas announce the
/// list resource, the action, config generation and the identity.
#[tokio::test]
async fn issue19_schemas_and_metadata() {
    let (_plugin, mut c, _stub) = start().await;
    let schema = provider_schema(&mut c).await;
    let list = schema
        .list_resource_schemas
        .get(RESOURCE)
        .expect("list resource schema");
    let list_attrs: Vec<&str> = list
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(list_attrs, ["name_prefix"]);
    let action = schema.action_schemas.get(ACTION).expect("action schema");
    let action_block = action.schema.as_ref().unwrap().block.as_ref().unwrap();
    let cluster_name = action_block
        .attributes
        .iter()
        .find(|a| a.name == "cluster_name")
        .expect("action attribute cluster_name");
    assert!(cluster_name.required);
    assert!(schema.server_capabilities.unwrap().generate_resource_config);

    let meta = c
        .get_metadata(tfplugin6::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(meta.diagnostics.is_empty(), "{:?}", meta.diagnostics);
    assert!(meta.server_capabilities.unwrap().generate_resource_config);
    let listed: Vec<&str> = meta
        .list_resources
        .iter()
        .map(|l| l.type_name.as_str())
        .collect();
    assert_eq!(listed, [RESOURCE]);
    let actions: Vec<&str> = meta.actions.iter().map(|a| a.type_name.as_str()).collect();
    assert_eq!(actions, [ACTION]);

    let ids = c
        .get_resource_identity_schemas(tfplugin6::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(ids.diagnostics.is_empty(), "{:?}", ids.diagnostics);
    let id = &ids.identity_schemas[RESOURCE];
    assert_eq!(id.version, 0);
    let attrs: BTreeMap<&str, (bool, bool, Type)> = id
        .identity_attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                (
                    a.required_for_import,
                    a.optional_for_import,
                    Type::from_json(&a.r#type).unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(
        attrs,
        BTreeMap::from([
            ("account_id", (false, true, Type::String)),
            ("region", (false, true, Type::String)),
            ("cluster_name", (true, false, Type::String)),
        ])
    );
}

/// Import by identity (empty id) fills the account and region; ReadResource
/// echoes the identity; an identity in another region fails before any EKS
/// call; UpgradeResourceIdentity turns version 0 JSON into msgpack.
#[tokio::test]
async fn issue19_import_by_identity_read_and_upgrade() {
    let mut s = session().await;
    let key = s.em.create_key(&KeySpec::symmetric()).unwrap();
    s.em.create_cluster(&ClusterSpec::new("prod").key_arn(&key.key_arn))
        .unwrap();

    let imported =
        s.c.import_resource_state(tfplugin6::import_resource_state::Request {
            type_name: RESOURCE.into(),
            id: String::new(),
            client_capabilities: None,
            identity: Some(s.identity(None, None, "prod")),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        errors(&imported.diagnostics).is_empty(),
        "{:?}",
        imported.diagnostics
    );
    assert_eq!(imported.imported_resources.len(), 1);
    let r = &imported.imported_resources[0];
    let full = Value::object([
        ("account_id", Value::string(ACCOUNT_ID)),
        ("region", Value::string(DEFAULT_REGION)),
        ("cluster_name", Value::string("prod")),
    ]);
    assert_eq!(s.decode_identity(&r.identity), full);
    let state = decode(r.state.as_ref().unwrap(), &s.state_ty).unwrap();
    assert_eq!(str_attr(&state, "cluster_name"), Some("prod"));

    let read =
        s.c.read_resource(tfplugin6::read_resource::Request {
            type_name: RESOURCE.into(),
            current_state: r.state.clone(),
            private: r.private.clone(),
            current_identity: r.identity.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        errors(&read.diagnostics).is_empty(),
        "{:?}",
        read.diagnostics
    );
    assert_eq!(s.decode_identity(&read.new_identity), full);
    let read_state = decode(read.new_state.as_ref().unwrap(), &s.state_ty).unwrap();
    assert_eq!(
        str_attr(&read_state, "resolved_key_arn"),
        Some(key.key_arn.as_str())
    );

    s.em.clear_requests().unwrap();
    let elsewhere =
        s.c.import_resource_state(tfplugin6::import_resource_state::Request {
            type_name: RESOURCE.into(),
            id: String::new(),
            client_capabilities: None,
            identity: Some(s.identity(Some(ACCOUNT_ID), Some("eu-west-1"), "prod")),
        })
        .await
        .unwrap()
        .into_inner();
    let errs = errors(&elsewhere.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", elsewhere.diagnostics);
    assert_eq!(errs[0].summary, "Import identity is in another region");
    assert!(
        errs[0].detail.contains("Nothing was read"),
        "{}",
        errs[0].detail
    );
    assert!(elsewhere.imported_resources.is_empty());
    assert_eq!(
        s.em.count("DescribeCluster").unwrap(),
        0,
        "{}",
        s.em.request_log_summary()
    );

    let upgraded = s
        .c
        .upgrade_resource_identity(tfplugin6::upgrade_resource_identity::Request {
            type_name: RESOURCE.into(),
            version: 0,
            raw_identity: Some(tfplugin6::RawState {
                json: format!(
                    r#"{{"account_id":"{ACCOUNT_ID}","region":"{DEFAULT_REGION}","cluster_name":"prod"}}"#
                )
                .into_bytes(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        upgraded.diagnostics.is_empty(),
        "{:?}",
        upgraded.diagnostics
    );
    let data = upgraded
        .upgraded_identity
        .and_then(|i| i.identity_data)
        .expect("an upgraded identity");
    assert!(!data.msgpack.is_empty(), "the upgraded identity is msgpack");
    assert_eq!(decode(&data, &s.identity_ty).unwrap(), full);
}

/// Paging (3 clusters a page), name_prefix, limit: ListClusters is called
/// once per page needed, identities only means no DescribeCluster.
#[tokio::test]
async fn issue19_list_paging_limit_and_prefix() {
    let mut s = session().await;
    let key = s.em.create_key(&KeySpec::symmetric()).unwrap();
    s.em.create_clusters("fleet-", 10, Some(&key.key_arn), DEFAULT_REGION)
        .unwrap();
    s.em.create_clusters_named(&[("other-a", None), ("other-b", None)], DEFAULT_REGION)
        .unwrap();
    s.em.set_list_clusters_page_size(3).unwrap();

    s.em.clear_requests().unwrap();
    let (all, diags) = s.list(None, false, 100).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(all.len(), 12, "{:?}", names(&all));
    // 12 clusters, 3 a page: 4 pages.
    assert_eq!(
        s.em.count("ListClusters").unwrap(),
        4,
        "{}",
        s.em.request_log_summary()
    );
    assert_eq!(s.em.count("DescribeCluster").unwrap(), 0);
    assert_eq!(s.em.count("GetCallerIdentity").unwrap(), 1);
    for l in &all {
        assert_eq!(str_attr(&l.identity, "account_id"), Some(ACCOUNT_ID));
        assert_eq!(str_attr(&l.identity, "region"), Some(DEFAULT_REGION));
        assert_eq!(
            l.display_name,
            str_attr(&l.identity, "cluster_name").unwrap()
        );
        assert!(l.object.is_none());
    }

    s.em.clear_requests().unwrap();
    let (fleet, diags) = s.list(Some("fleet-"), false, 100).await;
    assert!(diags.is_empty(), "{diags:?}");
    let expected: Vec<String> = (0..10).map(|i| format!("fleet-{i:04}")).collect();
    let mut got = names(&fleet);
    got.sort();
    assert_eq!(got, expected);

    s.em.clear_requests().unwrap();
    let (four, diags) = s.list(None, false, 4).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(four.len(), 4, "{:?}", names(&four));
    // 4 results need 2 pages of 3, not the remaining 2.
    assert_eq!(
        s.em.count("ListClusters").unwrap(),
        2,
        "{}",
        s.em.request_log_summary()
    );
}

/// include_resource_object: one DescribeCluster per result, no DescribeKey,
/// the objects carry the key; a cluster deleted after its page was listed is
/// left out without an error; GenerateResourceConfig on the objects.
#[tokio::test]
async fn issue19_list_resource_objects_deleted_cluster_and_generated_config() {
    let mut s = session().await;
    let key = s.em.create_key(&KeySpec::symmetric()).unwrap();
    s.em.create_clusters("fleet-", 5, Some(&key.key_arn), DEFAULT_REGION)
        .unwrap();
    s.em.create_clusters_named(&[("fleet-aws-owned", None)], DEFAULT_REGION)
        .unwrap();
    s.em.set_list_clusters_page_size(3).unwrap();

    s.em.clear_requests().unwrap();
    let (listed, diags) = s.list(Some("fleet-"), true, 100).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(listed.len(), 6, "{:?}", names(&listed));
    assert_eq!(
        s.em.count("DescribeCluster").unwrap(),
        6,
        "{}",
        s.em.request_log_summary()
    );
    assert_eq!(s.em.count("DescribeKey").unwrap(), 0);
    for l in &listed {
        let obj = l.object.as_ref().expect("a resource object");
        let name = str_attr(&l.identity, "cluster_name").unwrap();
        assert_eq!(str_attr(obj, "cluster_name"), Some(name));
        if name == "fleet-aws-owned" {
            assert_eq!(str_attr(obj, "key_type"), Some("AWS_OWNED"), "{obj:?}");
            assert!(attr(obj, "resolved_key_arn").is_null());
            assert!(attr(obj, "key_state").is_null());
            assert_eq!(l.display_name, "fleet-aws-owned (AWS_OWNED)");
        } else {
            assert_eq!(
                str_attr(obj, "key_type"),
                Some("CUSTOMER_MANAGED"),
                "{obj:?}"
            );
            assert_eq!(
                str_attr(obj, "resolved_key_arn"),
                Some(key.key_arn.as_str())
            );
            assert_eq!(str_attr(obj, "key_state"), Some("Enabled"));
            assert_eq!(l.display_name, format!("{name} (CUSTOMER_MANAGED)"));
        }
    }

    // GenerateResourceConfig: cluster_name, and key_arn for a CMK only.
    for l in &listed {
        let name = str_attr(&l.identity, "cluster_name").unwrap();
        let state = encode(l.object.as_ref().unwrap(), &s.state_ty).unwrap();
        let generated =
            s.c.generate_resource_config(tfplugin6::generate_resource_config::Request {
                type_name: RESOURCE.into(),
                state: Some(state),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(
            generated.diagnostics.is_empty(),
            "{:?}",
            generated.diagnostics
        );
        let config = decode(generated.config.as_ref().unwrap(), &s.state_ty).unwrap();
        assert_eq!(str_attr(&config, "cluster_name"), Some(name));
        if name == "fleet-aws-owned" {
            assert!(attr(&config, "key_arn").is_null(), "{config:?}");
        } else {
            assert_eq!(str_attr(&config, "key_arn"), Some(key.key_arn.as_str()));
        }
        assert!(
            attr(&config, "id").is_null(),
            "computed attributes stay null: {config:?}"
        );
    }

    // A cluster deleted right after its page is listed: left out, no error.
    s.em.delete_after_list(&["fleet-0001"]).unwrap();
    s.em.clear_requests().unwrap();
    let (listed, diags) = s.list(Some("fleet-"), true, 100).await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let got = names(&listed);
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(!got.contains(&"fleet-0001".to_owned()), "{got:?}");
    assert_eq!(
        s.em.count("DescribeCluster").unwrap(),
        6,
        "{}",
        s.em.request_log_summary()
    );
}

/// A throttled ListClusters page is retried and the listing completes.
#[tokio::test]
async fn issue19_list_throttled_page_is_retried() {
    let mut s = session().await;
    s.em.create_clusters("fleet-", 7, None, DEFAULT_REGION)
        .unwrap();
    s.em.set_list_clusters_page_size(3).unwrap();
    s.em.clear_requests().unwrap();
    s.em.add_fault(&Fault::new("ListClusters", "throttle", 1))
        .unwrap();
    let (listed, diags) = s.list(None, false, 100).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(listed.len(), 7, "{:?}", names(&listed));
    let calls = s.em.requests_for("ListClusters").unwrap();
    let throttled = calls.iter().filter(|r| r.status != Some(200)).count();
    // 3 pages, and the throttled attempt.
    assert_eq!(
        (calls.len(), throttled),
        (4, 1),
        "{}",
        s.em.request_log_summary()
    );
}

/// ValidateListResourceConfig and ListResource refuse a prefix no cluster
/// name can start with, naming the attribute.
#[tokio::test]
async fn issue19_list_config_validation() {
    let mut s = session().await;
    let null_bool = encode(&Value::Null, &Type::Bool).unwrap();
    let limit = encode(&Value::number(10), &Type::Number).unwrap();
    let validate = |prefix: &str| tfplugin6::validate_list_resource_config::Request {
        type_name: RESOURCE.into(),
        config: Some(s.list_config(Some(prefix))),
        include_resource_object: Some(null_bool.clone()),
        limit: Some(limit.clone()),
    };
    let (bad, good) = (validate("-nope"), validate("prod-"));
    let v =
        s.c.validate_list_resource_config(bad)
            .await
            .unwrap()
            .into_inner();
    let errs = errors(&v.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", v.diagnostics);
    assert_eq!(errs[0].summary, "Invalid name_prefix");
    assert!(errs[0].detail.contains("\"-nope\""), "{}", errs[0].detail);
    assert!(
        errs[0].attribute.is_some(),
        "the diagnostic names name_prefix"
    );
    let v =
        s.c.validate_list_resource_config(good)
            .await
            .unwrap()
            .into_inner();
    assert!(v.diagnostics.is_empty(), "{:?}", v.diagnostics);

    s.em.clear_requests().unwrap();
    let (listed, diags) = s.list(Some("-nope"), false, 100).await;
    assert!(listed.is_empty());
    assert_eq!(errors(&diags).len(), 1, "{diags:?}");
    assert_eq!(s.em.count("ListClusters").unwrap(), 0);
}

/// PlanAction and InvokeAction: a healthy cluster passes; a revoked EKS grant
/// fails the check naming the code, cluster and key; nothing is changed in
/// AWS, and each stream ends with exactly one Completed.
#[tokio::test]
async fn issue19_action_check_healthy_and_revoked_grant() {
    let mut s = session().await;
    let key = s.em.create_key(&KeySpec::symmetric()).unwrap();
    s.em.create_clusters_named(
        &[
            ("healthy", Some(&key.key_arn)),
            ("revoked", Some(&key.key_arn)),
        ],
        DEFAULT_REGION,
    )
    .unwrap();
    s.em.revoke_eks_grant("revoked", DEFAULT_REGION).unwrap();

    let plan =
        s.c.plan_action(tfplugin6::plan_action::Request {
            action_type: ACTION.into(),
            config: Some(s.action_config("healthy")),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);

    s.em.clear_requests().unwrap();
    let (progress, completed) = s.invoke("healthy").await;
    assert!(
        !progress.is_empty(),
        "progress events before the completion"
    );
    assert_eq!(completed.len(), 1, "exactly one Completed: {completed:?}");
    assert!(errors(&completed[0]).is_empty(), "{:?}", completed[0]);
    assert!(
        s.em.mutating_calls().unwrap().is_empty(),
        "{}",
        s.em.request_log_summary()
    );

    s.em.clear_requests().unwrap();
    let (progress, completed) = s.invoke("revoked").await;
    assert!(!progress.is_empty());
    assert_eq!(completed.len(), 1, "exactly one Completed: {completed:?}");
    let errs = errors(&completed[0]);
    assert!(!errs.is_empty(), "{:?}", completed[0]);
    let revoked = errs
        .iter()
        .find(|d| d.detail.contains("KmsGrantRevoked"))
        .unwrap_or_else(|| panic!("no KmsGrantRevoked error: {errs:?}"));
    assert_eq!(revoked.summary, "Encryption check failed");
    assert!(revoked.detail.contains("\"revoked\""), "{}", revoked.detail);
    assert!(revoked.detail.contains(&key.key_arn), "{}", revoked.detail);
    let log = s.em.requests().unwrap();
    assert!(
        s.em.mutating_calls().unwrap().is_empty(),
        "{}",
        s.em.request_log_summary()
    );
    assert!(
        log.iter().all(|r| !r.operation.starts_with("Associate")),
        "{}",
        s.em.request_log_summary()
    );
}
