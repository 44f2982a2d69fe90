//! A loopback HTTP `CONNECT` proxy that records every tunnel it is asked
//! for, as a corporate proxy in front of AWS would see the provider.
//!
//! It only tunnels to the names it was given, each mapped to a loopback
//! address, and refuses anything else (403), so nothing leaves the machine.
//! Names under the reserved `.test` TLD (RFC 6761) such as `emulator.test`
//! resolve nowhere else, which proves the traffic went through the proxy.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running proxy; stopped when dropped.
#[derive(Debug)]
pub struct ConnectProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl ConnectProxy {
    /// Starts a proxy on 127.0.0.1 that tunnels `name:port` to
    /// `127.0.0.1:port` for each of `names`.
    pub fn start(names: &[&str]) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let routes: Arc<HashMap<String, IpAddr>> = Arc::new(
            names
                .iter()
                .map(|n| (n.to_ascii_lowercase(), IpAddr::V4(Ipv4Addr::LOCALHOST)))
                .collect(),
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let (seen, routes) = (seen.clone(), routes.clone());
                            std::thread::spawn(move || {
                                let _ = serve(client, &routes, &seen);
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        Ok(ConnectProxy {
            addr,
            seen,
            stop,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT`, for `https_proxy`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `CONNECT` targets asked for so far (`host:port`), in order,
    /// refused ones included.
    pub fn connections(&self) -> Vec<String> {
        self.seen.lock().expect("proxy log lock").clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

/// Reads the request head (up to the blank line, at most 16 KiB).
fn read_head(client: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || client.read(&mut byte)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad request head",
            ));
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn serve(
    mut client: TcpStream,
    routes: &HashMap<String, IpAddr>,
    seen: &Mutex<Vec<String>>,
) -> io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = read_head(&mut client)?;
    let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "CONNECT" {
        client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    }
    seen.lock().expect("proxy log lock").push(target.to_owned());
    let upstream = target.rsplit_once(':').and_then(|(host, port)| {
        let ip = routes.get(&host.to_ascii_lowercase())?;
        let port: u16 = port.parse().ok()?;
        ip.is_loopback().then_some(SocketAddr::new(*ip, port))
    });
    let Some(upstream) = upstream else {
        client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    };
    let server = match TcpStream::connect_timeout(&upstream, Duration::from_secs(5)) {
        Ok(s) => s,
        Err(_) => {
            client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        }
    };
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    client.set_read_timeout(None)?;
    let (mut c_read, mut s_write) = (client.try_clone()?, server.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut c_read, &mut s_write);
        let _ = s_write.shutdown(Shutdown::Write);
    });
    let (mut s_read, mut c_write) = (server, client);
    let _ = io::copy(&mut s_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunnels_known_names_to_loopback_and_refuses_others() {
        let echo = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = echo.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let proxy = ConnectProxy::start(&["emulator.test"]).unwrap();
        let mut c = TcpStream::connect(proxy.addr).unwrap();
        write!(
            c,
            "CONNECT emulator.test:{port} HTTP/1.1\r\nHost: emulator.test:{port}\r\n\r\n"
        )
        .unwrap();
        let mut reply = [0u8; 39];
        c.read_exact(&mut reply).unwrap();
        assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"));
        c.write_all(b"ping").unwrap();
        let mut back = [0u8; 4];
        c.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"ping");

        let mut c = TcpStream::connect(proxy.addr).unwrap();
        c.write_all(b"CONNECT example.com:443 HTTP/1.1\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        c.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
        assert_eq!(
            proxy.connections(),
            [
                format!("emulator.test:{port}"),
                "example.com:443".to_owned()
            ]
        );
    }
}
