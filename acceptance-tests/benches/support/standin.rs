//! A benchmark-only AWS stand-in (issue 14): a small HTTP/1.1 keep-alive
//! server on 127.0.0.1 that answers the EKS and KMS calls a plan and an
//! apply of `eks_encryption_config` make, from a fixed table, in a few
//! microseconds each.
//!
//! It exists so that `plan_scale` can measure the provider and Terraform
//! without the Python emulator's cost (about 3.4 ms of CPU per resource, more
//! than the provider's). It is not an emulator: no faults, no validation
//! beyond what routing needs, every update finishes at once. Behaviour that
//! matters goes to the emulator (`acceptance-tests/emulator`), which follows
//! AWS's documentation.
//!
//! Response shapes follow the AWS API references, trimmed to realistic size:
//! - EKS DescribeCluster, `GET /clusters/{name}` ("DescribeCluster", Amazon
//!   EKS API Reference: `{"cluster": {...}}` with `certificateAuthority`,
//!   `resourcesVpcConfig`, `encryptionConfig`, ...); a missing cluster is
//!   404 `ResourceNotFoundException`.
//! - EKS ListUpdates `GET /clusters/{name}/updates`, DescribeUpdate
//!   `GET /clusters/{name}/updates/{id}`, AssociateEncryptionConfig
//!   `POST /clusters/{name}/encryption-config/associate` (EKS API Reference).
//! - KMS DescribeKey, GetKeyRotationStatus and CreateGrant with `DryRun`
//!   (the association preflight): `POST /` with
//!   `X-Amz-Target: TrentService.<Operation>` (AWS KMS API Reference,
//!   "Common parameters"/JSON 1.1 protocol); an unknown key is 400
//!   `NotFoundException`.
//!
//! Connections stay open (HTTP/1.1 keep-alive, one thread per connection),
//! so the SDK's connection pool is exercised as against real AWS. Every
//! answered request is logged (operation and time) for the call counts.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The account the fixed table lives in.
pub const ACCOUNT: &str = "123456789012";
/// The region the fixed table lives in.
pub const REGION: &str = "us-east-1";

/// One answered request.
#[derive(Clone, Debug)]
pub struct Answered {
    /// The operation, e.g. `DescribeCluster`.
    pub operation: String,
    /// When it was answered (Unix seconds).
    pub time: f64,
    /// The HTTP status sent.
    pub status: u16,
}

struct Key {
    id: String,
    arn: String,
    aliases: Vec<String>,
}

struct Cluster {
    cmk: Option<String>,
    updates: Vec<(String, String)>,
}

struct State {
    keys: Vec<Key>,
    clusters: Mutex<HashMap<String, Cluster>>,
    log: Mutex<Vec<Answered>>,
    next_update: AtomicU64,
    connections: AtomicU64,
    /// The certificate authority data every cluster reports (realistic
    /// size: a PEM certificate, base64 again, about 1.5 KB).
    ca_data: String,
}

/// A running stand-in. Dropping it stops accepting connections.
pub struct StandIn {
    url: String,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
}

impl StandIn {
    /// Starts a stand-in on a free loopback port with `clusters` clusters
    /// named `bench-0000`.. (ACTIVE, Kubernetes 1.31, no CMK yet) and two
    /// symmetric customer managed keys, `alias/bench-a` and `alias/bench-b`.
    pub fn start(clusters: usize) -> std::io::Result<StandIn> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let keys = [
            ("alias/bench-a", "0b1f6f3e-7a39-4b6b-9a55-2f6c5e0d0a01"),
            ("alias/bench-b", "0b1f6f3e-7a39-4b6b-9a55-2f6c5e0d0b02"),
        ]
        .into_iter()
        .map(|(alias, id)| Key {
            id: id.to_owned(),
            arn: format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}"),
            aliases: vec![
                alias.to_owned(),
                format!("arn:aws:kms:{REGION}:{ACCOUNT}:{alias}"),
            ],
        })
        .collect();
        let clusters = (0..clusters)
            .map(|i| {
                (
                    format!("bench-{i:04}"),
                    Cluster {
                        cmk: None,
                        updates: Vec::new(),
                    },
                )
            })
            .collect();
        let ca_data: String = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwK"
            .repeat(12);
        let state = Arc::new(State {
            keys,
            clusters: Mutex::new(clusters),
            log: Mutex::new(Vec::new()),
            next_update: AtomicU64::new(1),
            connections: AtomicU64::new(0),
            ca_data,
        });
        let stop = Arc::new(AtomicBool::new(false));
        {
            let state = state.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("standin-accept".into())
                .spawn(move || {
                    for conn in listener.incoming() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let Ok(conn) = conn else { continue };
                        state.connections.fetch_add(1, Ordering::Relaxed);
                        let state = state.clone();
                        let _ = std::thread::Builder::new()
                            .name("standin-conn".into())
                            .spawn(move || serve_connection(conn, &state));
                    }
                })?;
        }
        Ok(StandIn { url, state, stop })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The requests answered since the last [`clear`](Self::clear).
    pub fn requests(&self) -> Vec<Answered> {
        self.state.log.lock().expect("log").clone()
    }

    /// Forgets the answered requests.
    pub fn clear(&self) {
        self.state.log.lock().expect("log").clear();
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.state.connections.load(Ordering::Relaxed)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        if let Some(addr) = self.url.strip_prefix("http://") {
            let _ = TcpStream::connect(addr);
        }
    }
}

/// A parsed request.
struct Request {
    method: String,
    path: String,
    target: Option<String>,
    body: Vec<u8>,
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let (mut length, mut target) = (0usize, None);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().ok()?;
            } else if name.eq_ignore_ascii_case("x-amz-target") {
                target = Some(value.to_owned());
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        target,
        body,
    })
}

fn serve_connection(conn: TcpStream, state: &State) {
    let _ = conn.set_nodelay(true);
    let Ok(write_half) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(conn);
    let mut writer = std::io::BufWriter::new(write_half);
    let mut seq = 0u64;
    while let Some(req) = read_request(&mut reader) {
        seq += 1;
        let (operation, status, error_type, body) = answer(state, &req);
        let body = body.to_string();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let content_type = if req.target.is_some() {
            "application/x-amz-json-1.1"
        } else {
            "application/json"
        };
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             x-amzn-RequestId: standin-{}-{seq}\r\nDate: {}\r\n",
            if status == 200 { "OK" } else { "Error" },
            body.len(),
            now.as_nanos(),
            http_date(now.as_secs()),
        );
        if let Some(t) = error_type {
            head.push_str(&format!("x-amzn-ErrorType: {t}\r\n"));
        }
        head.push_str("\r\n");
        let ok = writer.write_all(head.as_bytes()).is_ok()
            && writer.write_all(body.as_bytes()).is_ok()
            && writer.flush().is_ok();
        state.log.lock().expect("log").push(Answered {
            operation,
            time: now.as_secs_f64(),
            status,
        });
        if !ok {
            return;
        }
    }
}

type Reply = (String, u16, Option<&'static str>, Value);

fn answer(state: &State, req: &Request) -> Reply {
    if let Some(target) = &req.target {
        let op = target.rsplit('.').next().unwrap_or(target).to_owned();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        return kms(state, op, &body);
    }
    let path = req.path.split('?').next().unwrap_or(&req.path);
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["clusters", name]) => describe_cluster(state, name),
        ("GET", ["clusters", name, "updates"]) => list_updates(state, name),
        ("GET", ["clusters", name, "updates", id]) => describe_update(state, name, id),
        ("POST", ["clusters", name, "encryption-config", "associate"]) => {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            associate(state, name, &body)
        }
        _ => (
            "Unknown".into(),
            404,
            Some("UnknownOperationException"),
            json!({"message": format!("the stand-in has no route {} {}", req.method, req.path)}),
        ),
    }
}

fn cluster_arn(name: &str) -> String {
    format!("arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{name}")
}

fn no_cluster(op: &str, name: &str) -> Reply {
    (
        op.into(),
        404,
        Some("ResourceNotFoundException"),
        json!({"message": format!("No cluster found for name: {name}.")}),
    )
}

fn describe_cluster(state: &State, name: &str) -> Reply {
    const OP: &str = "DescribeCluster";
    let clusters = state.clusters.lock().expect("clusters");
    let Some(c) = clusters.get(name) else {
        return no_cluster(OP, name);
    };
    let mut cluster = json!({
        "name": name,
        "arn": cluster_arn(name),
        "createdAt": 1.7e9,
        "version": "1.31",
        "endpoint": format!("https://0123456789ABCDEF0123456789ABCDEF.gr7.{REGION}.eks.amazonaws.com"),
        "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/eks-cluster-role"),
        "resourcesVpcConfig": {
            "subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
            "securityGroupIds": [],
            "clusterSecurityGroupId": "sg-0a1b2c3d4e5f60003",
            "vpcId": "vpc-0a1b2c3d4e5f60004",
            "endpointPublicAccess": true,
            "endpointPrivateAccess": false,
            "publicAccessCidrs": ["0.0.0.0/0"]
        },
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"},
        "logging": {"clusterLogging": [{"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": false}]},
        "identity": {"oidc": {"issuer": format!("https://oidc.eks.{REGION}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF")}},
        "status": "ACTIVE",
        "certificateAuthority": {"data": state.ca_data},
        "platformVersion": "eks.20",
        "tags": {},
        "health": {"issues": []},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
        "upgradePolicy": {"supportType": "EXTENDED"}
    });
    if let Some(k) = &c.cmk {
        cluster["encryptionConfig"] =
            json!([{"resources": ["secrets"], "provider": {"keyArn": k}}]);
    }
    (OP.into(), 200, None, json!({ "cluster": cluster }))
}

fn update_json(id: &str, key: &str, status: &str) -> Value {
    let param = json!([{"resources": ["secrets"], "provider": {"keyArn": key}}]).to_string();
    json!({
        "id": id,
        "status": status,
        "type": "AssociateEncryptionConfig",
        "params": [{"type": "EncryptionConfig", "value": param}],
        "createdAt": 1.7e9,
        "errors": []
    })
}

fn list_updates(state: &State, name: &str) -> Reply {
    const OP: &str = "ListUpdates";
    let clusters = state.clusters.lock().expect("clusters");
    let Some(c) = clusters.get(name) else {
        return no_cluster(OP, name);
    };
    let ids: Vec<&str> = c.updates.iter().rev().map(|(id, _)| id.as_str()).collect();
    (OP.into(), 200, None, json!({ "updateIds": ids }))
}

fn describe_update(state: &State, name: &str, id: &str) -> Reply {
    const OP: &str = "DescribeUpdate";
    let clusters = state.clusters.lock().expect("clusters");
    let Some(c) = clusters.get(name) else {
        return no_cluster(OP, name);
    };
    match c.updates.iter().find(|(u, _)| u == id) {
        Some((id, key)) => (
            OP.into(),
            200,
            None,
            json!({ "update": update_json(id, key, "Successful") }),
        ),
        None => (
            OP.into(),
            404,
            Some("ResourceNotFoundException"),
            json!({"message": format!("No update found for ID: {id}")}),
        ),
    }
}

fn associate(state: &State, name: &str, body: &Value) -> Reply {
    const OP: &str = "AssociateEncryptionConfig";
    let key = body["encryptionConfig"][0]["provider"]["keyArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let arn = state
        .keys
        .iter()
        .find(|k| k.arn == key || k.id == key || k.aliases.contains(&key))
        .map(|k| k.arn.clone())
        .unwrap_or(key);
    let mut clusters = state.clusters.lock().expect("clusters");
    let Some(c) = clusters.get_mut(name) else {
        return no_cluster(OP, name);
    };
    if c.cmk.is_some() {
        return (
            OP.into(),
            400,
            Some("InvalidParameterException"),
            json!({"message": "Encryption is already enabled on the cluster"}),
        );
    }
    let n = state.next_update.fetch_add(1, Ordering::Relaxed);
    let id = format!("00000000-0000-4000-8000-{n:012}");
    c.cmk = Some(arn.clone());
    c.updates.push((id.clone(), arn.clone()));
    // Every update finishes at once: DescribeUpdate answers Successful.
    (
        OP.into(),
        200,
        None,
        json!({ "update": update_json(&id, &arn, "InProgress") }),
    )
}

fn kms(state: &State, op: String, body: &Value) -> Reply {
    let key_id = body["KeyId"].as_str().unwrap_or_default();
    let Some(k) = state
        .keys
        .iter()
        .find(|k| k.arn == key_id || k.id == key_id || k.aliases.iter().any(|a| a == key_id))
    else {
        return (
            op,
            400,
            None,
            json!({"__type": "NotFoundException", "message": format!("Invalid keyId {key_id}")}),
        );
    };
    let body = match op.as_str() {
        "DescribeKey" => json!({"KeyMetadata": {
            "AWSAccountId": ACCOUNT,
            "KeyId": k.id,
            "Arn": k.arn,
            "CreationDate": 1.7e9,
            "Enabled": true,
            "Description": "",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "KeyState": "Enabled",
            "Origin": "AWS_KMS",
            "KeyManager": "CUSTOMER",
            "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
            "KeySpec": "SYMMETRIC_DEFAULT",
            "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
            "MultiRegion": false
        }}),
        // The association preflight: a CreateGrant dry run for the cluster
        // role. With DryRun, KMS answers DryRunOperationException ("The
        // request would have succeeded if DryRun flag were not set"; AWS KMS
        // API Reference, CreateGrant, DryRun).
        "CreateGrant" if body["DryRun"].as_bool() == Some(true) => {
            return (
                op,
                400,
                None,
                json!({"__type": "DryRunOperationException", "message": "The request would have succeeded if DryRun flag were not set."}),
            )
        }
        "GetKeyRotationStatus" => json!({
            "KeyRotationEnabled": true,
            "KeyId": k.arn,
            "RotationPeriodInDays": 365
        }),
        _ => {
            return (
                op.clone(),
                400,
                None,
                json!({"__type": "UnsupportedOperationException", "message": format!("the stand-in does not answer {op}")}),
            )
        }
    };
    (op, 200, None, body)
}

/// An IMF-fixdate (RFC 9110) for the `Date` header, as AWS sends it.
fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
