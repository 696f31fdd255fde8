//! A TCP proxy on a free loopback port that a test can tell to stop forwarding without closing
//! anything: what a NAT or a load balancer that silently drops a connection looks like from
//! both ends, a fault a real server cannot produce.
//!
//! While stalled, the proxy still accepts connections and reads what arrives, but holds it;
//! on [`TcpProxy::resume`] everything held is delivered in order.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// A running proxy; it and every connection through it stop on drop.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    forwarding: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free loopback port (keeping the listener it bound) and forwards every
    /// connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (forwarding, _) = watch::channel(true);
        let rx = forwarding.subscribe();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let rx = rx.clone();
                connections.spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let (client_r, client_w) = client.into_split();
                    let (server_r, server_w) = server.into_split();
                    // Either direction ending closes both (the halves drop here).
                    tokio::select! {
                        () = pump(client_r, server_w, rx.clone()) => {}
                        () = pump(server_r, client_w, rx) => {}
                    }
                });
                // Reap finished connections so the set does not grow.
                while connections.try_join_next().is_some() {}
            }
        });
        TcpProxy { addr, forwarding, task }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops forwarding in both directions on every connection, open or new, without closing
    /// any.
    pub fn stall(&self) {
        self.forwarding.send_replace(false);
    }

    /// Forwards again, delivering what was held.
    pub fn resume(&self) {
        self.forwarding.send_replace(true);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every connection.
        self.task.abort();
    }
}

/// Copies `from` to `to`, holding whatever it read while forwarding is off.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut forwarding: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if forwarding.wait_for(|on| *on).await.is_err() {
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
