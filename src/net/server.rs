//! The echo servers, one per design of the lesson's IO-models part, each reading what a client
//! sends, upper-casing it and writing it back, per connection, until the client closes:
//! - `blocking-threads`: a thread per connection with blocking reads and writes;
//! - `nonblocking-poll`: one thread looping over non-blocking sockets, trying each in turn (the
//!   lesson's busy loop: it never blocks, it spins). Between batches the executor stops every
//!   server (SIGSTOP), so an idle spinner does not steal a core from the rest of a run;
//! - `multiplexing`: one thread waiting for readiness with mio (epoll / kqueue); a reply is
//!   written before more of its connection's input is read (bounded memory);
//! - `async`: tokio tasks, one per connection, on a multi-thread runtime;
//! - `signal-driven` (Linux): the kernel signals which socket is ready (`signal_driven.rs`);
//! - `io-uring` (Linux): the kernel does the reads and writes and reports them done (`uring.rs`).
//!
//! [`serve_main`] is the hidden `parbench echo-server --model M`: it listens on 127.0.0.1 and an
//! ephemeral port (backlog 4096, so 1024 connections arriving at once are not dropped), prints
//! `PORT <n>` on stdout, and exits when its stdin ends (its parent closed it or died). A client
//! that disconnects, even mid-message, only ends its own connection.

use super::EchoServer;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// Read buffer per connection.
const BUF: usize = 64 * 1024;

fn listen() -> io::Result<TcpListener> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

fn upper(buf: &mut [u8]) {
    buf.make_ascii_uppercase();
}

/// Entry point of `parbench echo-server --model <model>`; returns the exit code.
pub fn serve_main(model: &str) -> i32 {
    let design = match EchoServer::parse(model) {
        Ok(design) => design,
        Err(e) => {
            eprintln!("parbench echo-server: {e}");
            return 2;
        }
    };
    // Before any thread exists, so every server thread inherits it.
    super::pin_current_thread(&super::split_cpus().0);
    let listener = match listen() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("parbench echo-server: cannot listen on 127.0.0.1: {e}");
            return 1;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    println!("PORT {port}");
    let _ = io::stdout().flush();
    // The parent holds our stdin: its end (close or death) ends the server.
    let watch = crate::spawn::thread("echo-stdin", None, || {
        let mut sink = [0u8; 64];
        while let Ok(n) = io::stdin().read(&mut sink) {
            if n == 0 {
                break;
            }
        }
        std::process::exit(0);
    });
    if let Err(e) = watch {
        eprintln!("parbench echo-server: {e}");
        return 1;
    }
    let result = match design {
        EchoServer::BlockingThreads => blocking_threads(listener),
        EchoServer::NonblockingPoll => nonblocking_poll(listener),
        EchoServer::Multiplexing => multiplexing(listener),
        EchoServer::Tokio => async_tokio(listener),
        #[cfg(target_os = "linux")]
        EchoServer::SignalDriven => super::signal_driven::serve(listener, BUF),
        #[cfg(target_os = "linux")]
        EchoServer::IoUring => super::uring::serve(listener, BUF),
        #[cfg(not(target_os = "linux"))]
        EchoServer::SignalDriven | EchoServer::IoUring => Err(io::Error::other(
            "this design is implemented for Linux only",
        )),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("parbench echo-server ({model}): {e}");
            1
        }
    }
}

fn blocking_threads(listener: TcpListener) -> io::Result<()> {
    for (i, stream) in listener.incoming().enumerate() {
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        // A thread the OS refuses closes its connection (the client reports the cell failed)
        // and ends the server with the reason on stderr.
        crate::spawn::thread(&format!("echo-conn-{i}"), None, move || {
            let mut buf = vec![0u8; BUF];
            loop {
                let n = match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                upper(&mut buf[..n]);
                if stream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| io::Error::other(e.to_string()))?;
    }
    Ok(())
}

struct Conn {
    stream: TcpStream,
    out: Vec<u8>,
}

fn nonblocking_poll(listener: TcpListener) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut conns: Vec<Conn> = Vec::new();
    let mut buf = vec![0u8; BUF];
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(true)?;
                let _ = stream.set_nodelay(true);
                conns.push(Conn {
                    stream,
                    out: Vec::new(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => {}
        }
        conns.retain_mut(|c| {
            if c.out.is_empty() {
                match c.stream.read(&mut buf) {
                    Ok(0) => return false,
                    Ok(n) => {
                        upper(&mut buf[..n]);
                        c.out.extend_from_slice(&buf[..n]);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return false,
                }
            }
            if !c.out.is_empty() {
                match c.stream.write(&c.out) {
                    Ok(n) => {
                        c.out.drain(..n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return false,
                }
            }
            true
        });
    }
}

fn multiplexing(listener: TcpListener) -> io::Result<()> {
    use mio::net::{TcpListener as MioListener, TcpStream as MioStream};
    use mio::{Events, Interest, Poll, Token};
    use std::collections::HashMap;

    const LISTENER: Token = Token(0);
    struct MConn {
        stream: MioStream,
        out: Vec<u8>,
        /// Whether WRITABLE interest is registered (only while output is pending).
        wants_write: bool,
        /// Whether reading stopped before the socket was drained (a reply was pending).
        unread: bool,
    }
    listener.set_nonblocking(true)?;
    let mut listener = MioListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(1024);
    let mut conns: HashMap<Token, MConn> = HashMap::new();
    let mut next = 1usize;
    let mut buf = vec![0u8; BUF];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for ev in events.iter() {
            if ev.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let _ = stream.set_nodelay(true);
                            let token = Token(next);
                            next += 1;
                            poll.registry()
                                .register(&mut stream, token, Interest::READABLE)?;
                            conns.insert(
                                token,
                                MConn {
                                    stream,
                                    out: Vec::new(),
                                    wants_write: false,
                                    unread: false,
                                },
                            );
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(_) => break,
                    }
                }
                continue;
            }
            let token = ev.token();
            let Some(c) = conns.get_mut(&token) else {
                continue;
            };
            let mut open = true;
            // Edge-triggered: answer what is readable, writing each reply before reading
            // more, so a client that never reads its replies stalls its own connection (the
            // socket buffers fill) instead of growing the server's memory. A read shorter than
            // the buffer took everything there was; data arriving later raises a new edge. A
            // reply left pending waits for WRITABLE, after which the reading resumes.
            let mut drained = !ev.is_readable() && !c.unread;
            loop {
                while open && !c.out.is_empty() {
                    match c.stream.write(&c.out) {
                        Ok(n) => {
                            c.out.drain(..n);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => open = false,
                    }
                }
                if !open || !c.out.is_empty() || drained {
                    break;
                }
                match c.stream.read(&mut buf) {
                    Ok(0) => open = false,
                    Ok(n) => {
                        upper(&mut buf[..n]);
                        c.out.extend_from_slice(&buf[..n]);
                        drained = n < buf.len();
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => drained = true,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => open = false,
                }
            }
            // Reading stopped for a pending reply: the socket may hold more, with no new edge.
            c.unread = !drained;
            if !open {
                let mut c = conns.remove(&token).expect("present");
                let _ = poll.registry().deregister(&mut c.stream);
                continue;
            }
            // Change the registration only when pending output appears or drains: one
            // epoll_ctl per change, not per event.
            let wants_write = !c.out.is_empty();
            if wants_write != c.wants_write {
                let interest = if wants_write {
                    Interest::READABLE | Interest::WRITABLE
                } else {
                    Interest::READABLE
                };
                poll.registry().reregister(&mut c.stream, token, interest)?;
                c.wants_write = wants_write;
            }
        }
    }
}

fn async_tokio(listener: TcpListener) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    listener.set_nonblocking(true)?;
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_io().thread_name("echo-async");
    let rt = crate::spawn::catch_refused("the echo server's tokio runtime", 0, move || {
        builder.build()
    })
    .map_err(|e| io::Error::other(e.to_string()))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; BUF];
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    upper(&mut buf[..n]);
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}
