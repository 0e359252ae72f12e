//! The `io-uring` echo server (Linux): the lesson's asynchronous IO, where the kernel does the
//! IO and reports it done — not readiness, as epoll and tokio do. One thread submits accepts,
//! receives and sends to an io_uring (the `io-uring` crate) and waits for their completions: an
//! accept completes with a new connection (a receive is submitted for it, the accept again), a
//! receive with the bytes already in the connection's buffer (upper-cased, then sent), a send
//! with how much went out (the rest is sent again; all of it, and the next receive is
//! submitted). Each connection has one operation in flight at a time and one buffer, which the
//! kernel owns while the operation runs, so it never moves.
//!
//! A kernel that refuses io_uring (too old, or forbidden by a seccomp policy) is found before a
//! run (the model's `available` check), and the design is skipped with a notice.

use io_uring::{IoUring, opcode, squeue, types};
use std::io;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};

/// Submission queue entries; the completion queue is twice this. Every connection has one
/// operation in flight, and the listener one accept.
const ENTRIES: u32 = 2048;

/// What an operation was, in the low bits of its `user_data`; the connection's slot above.
const ACCEPT: u64 = 0;
const RECV: u64 = 1;
const SEND: u64 = 2;

struct Conn {
    fd: RawFd,
    buf: Box<[u8]>,
    /// Bytes of `buf` to send, and sent so far.
    len: usize,
    sent: usize,
}

struct Server {
    ring: IoUring,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    buf_len: usize,
    listener: RawFd,
}

impl Server {
    /// Queues `entry`, submitting what is queued when the submission queue is full.
    fn push(&mut self, entry: squeue::Entry) -> io::Result<()> {
        loop {
            // SAFETY: every buffer an entry points into is a connection's, which lives (and
            // does not move: a boxed slice) until its operation has completed.
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                return Ok(());
            }
            self.ring.submit()?;
        }
    }

    fn accept(&mut self) -> io::Result<()> {
        let e = opcode::Accept::new(
            types::Fd(self.listener),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
        .build()
        .user_data(ACCEPT);
        self.push(e)
    }

    fn recv(&mut self, slot: usize) -> io::Result<()> {
        let c = self.conns[slot].as_mut().expect("a live connection");
        let e = opcode::Recv::new(types::Fd(c.fd), c.buf.as_mut_ptr(), c.buf.len() as u32)
            .build()
            .user_data(((slot as u64) << 2) | RECV);
        self.push(e)
    }

    fn send(&mut self, slot: usize) -> io::Result<()> {
        let c = self.conns[slot].as_mut().expect("a live connection");
        let rest = &c.buf[c.sent..c.len];
        let e = opcode::Send::new(types::Fd(c.fd), rest.as_ptr(), rest.len() as u32)
            .build()
            .user_data(((slot as u64) << 2) | SEND);
        self.push(e)
    }

    fn open(&mut self, fd: RawFd) -> io::Result<()> {
        let one: libc::c_int = 1;
        // SAFETY: setsockopt on the descriptor the accept returned, with a valid int.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        let conn = Conn {
            fd,
            buf: vec![0u8; self.buf_len].into_boxed_slice(),
            len: 0,
            sent: 0,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.conns[s] = Some(conn);
                s
            }
            None => {
                self.conns.push(Some(conn));
                self.conns.len() - 1
            }
        };
        self.recv(slot)
    }

    fn close(&mut self, slot: usize) {
        if let Some(c) = self.conns[slot].take() {
            // SAFETY: the connection's descriptor, with no operation in flight any more.
            unsafe { libc::close(c.fd) };
            self.free.push(slot);
        }
    }

    /// Acts on one completion.
    fn complete(&mut self, user_data: u64, result: i32) -> io::Result<()> {
        let slot = (user_data >> 2) as usize;
        match user_data & 3 {
            ACCEPT => {
                if result >= 0 {
                    self.open(result)?;
                }
                self.accept()
            }
            RECV if result <= 0 => {
                self.close(slot);
                Ok(())
            }
            RECV => {
                let c = self.conns[slot].as_mut().expect("a live connection");
                let n = result as usize;
                c.buf[..n].make_ascii_uppercase();
                (c.len, c.sent) = (n, 0);
                self.send(slot)
            }
            _ if result < 0 => {
                self.close(slot);
                Ok(())
            }
            _ => {
                let c = self.conns[slot].as_mut().expect("a live connection");
                c.sent += result as usize;
                if c.sent < c.len {
                    self.send(slot)
                } else {
                    self.recv(slot)
                }
            }
        }
    }
}

/// Serves `listener` until the process ends.
pub fn serve(listener: TcpListener, buf_len: usize) -> io::Result<()> {
    let mut s = Server {
        ring: IoUring::new(ENTRIES)?,
        conns: Vec::new(),
        free: Vec::new(),
        buf_len,
        listener: listener.as_raw_fd(),
    };
    s.accept()?;
    let mut done: Vec<(u64, i32)> = Vec::new();
    loop {
        match s.ring.submit_and_wait(1) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        done.extend(s.ring.completion().map(|c| (c.user_data(), c.result())));
        for (user_data, result) in done.drain(..) {
            s.complete(user_data, result)?;
        }
    }
}
