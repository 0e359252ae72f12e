//! The `signal-driven` echo server (Linux): the lesson's signal-driven IO. Every socket is
//! non-blocking with `O_ASYNC`; `F_SETSIG` makes the kernel send a real-time signal carrying the
//! socket's descriptor whenever it becomes readable or writable, and `F_SETOWN_EX` addresses that
//! signal to the one server thread, which blocks it and takes the signals one by one with
//! `sigtimedwait`, then reads (until the socket would block), upper-cases and writes back. When
//! the kernel's queue of real-time signals overflows it sends a plain `SIGIO` instead, naming no
//! descriptor: the server then tries every connection once.
//!
//! A connection's reply is written before more of its input is read, so a client that sends and
//! never reads stalls its own connection (the socket buffers fill) instead of growing the
//! server's memory.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};

/// Linux's `fcntl` commands and owner type (asm-generic/fcntl.h), which the libc crate does
/// not export for every target.
const F_SETSIG: libc::c_int = 10;
const F_SETOWN_EX: libc::c_int = 15;
const F_OWNER_TID: libc::c_int = 0;

/// `struct f_owner_ex`.
#[repr(C)]
struct FOwnerEx {
    kind: libc::c_int,
    pid: libc::pid_t,
}

/// The start of `siginfo_t` as the kernel fills it for `SIGIO`-style signals: `si_band` and
/// `si_fd` follow the three ints (aligned to a `long`).
#[repr(C)]
struct SigPoll {
    signo: libc::c_int,
    errno: libc::c_int,
    code: libc::c_int,
    band: libc::c_long,
    fd: libc::c_int,
}

/// The signal the kernel sends for a ready socket.
fn ready_signal() -> libc::c_int {
    libc::SIGRTMIN() + 1
}

fn os<T: PartialOrd + Default>(r: T) -> io::Result<T> {
    if r < T::default() {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Makes `fd` non-blocking and signal-driven, its signals addressed to thread `tid`.
fn drive(fd: RawFd, tid: libc::pid_t) -> io::Result<()> {
    let owner = FOwnerEx {
        kind: F_OWNER_TID,
        pid: tid,
    };
    // SAFETY: fcntl on a descriptor this server owns, with a valid f_owner_ex.
    unsafe {
        os(libc::fcntl(fd, F_SETOWN_EX, &owner as *const FOwnerEx))?;
        os(libc::fcntl(fd, F_SETSIG, ready_signal()))?;
        let flags = os(libc::fcntl(fd, libc::F_GETFL))?;
        os(libc::fcntl(
            fd,
            libc::F_SETFL,
            flags | libc::O_ASYNC | libc::O_NONBLOCK,
        ))?;
    }
    Ok(())
}

struct Conn {
    stream: TcpStream,
    out: Vec<u8>,
}

impl Conn {
    /// Writes what is pending, then reads and answers until the socket would block; `false`
    /// when the connection is over.
    fn serve(&mut self, buf: &mut [u8]) -> bool {
        loop {
            while !self.out.is_empty() {
                match self.stream.write(&self.out) {
                    Ok(n) => {
                        self.out.drain(..n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return false,
                }
            }
            match self.stream.read(buf) {
                Ok(0) => return false,
                Ok(n) => {
                    buf[..n].make_ascii_uppercase();
                    self.out.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }
}

/// Serves `listener` until the process ends.
pub fn serve(listener: TcpListener, buf_len: usize) -> io::Result<()> {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    // The signals are taken with sigtimedwait, never delivered: block them in this thread,
    // the only one they are addressed to (SIGIO: the overflow of the real-time queue).
    // SAFETY: a sigset built with the libc calls, applied to this thread.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, ready_signal());
        libc::sigaddset(&mut set, libc::SIGIO);
        os(libc::pthread_sigmask(
            libc::SIG_BLOCK,
            &set,
            std::ptr::null_mut(),
        ))?;
        set
    };
    let lfd = listener.as_raw_fd();
    drive(lfd, tid)?;
    let mut conns: HashMap<RawFd, Conn> = HashMap::new();
    let mut buf = vec![0u8; buf_len];
    let accept = |conns: &mut HashMap<RawFd, Conn>, buf: &mut [u8]| -> io::Result<()> {
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let fd = stream.as_raw_fd();
                    drive(fd, tid)?;
                    let mut c = Conn {
                        stream,
                        out: Vec::new(),
                    };
                    // Bytes that arrived before O_ASYNC was set raise no signal.
                    if c.serve(buf) {
                        conns.insert(fd, c);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Ok(()),
            }
        }
    };
    // Connections may have queued before the listener was driven.
    accept(&mut conns, &mut buf)?;
    let timeout = libc::timespec {
        tv_sec: 1,
        tv_nsec: 0,
    };
    loop {
        // SAFETY: siginfo_t is plain data the kernel fills; SigPoll reads its start.
        let (signo, fd) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let signo = libc::sigtimedwait(&set, &mut info, &timeout);
            if signo < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EAGAIN) | Some(libc::EINTR) => continue,
                    _ => return Err(e),
                }
            }
            let poll = &*(&info as *const libc::siginfo_t as *const SigPoll);
            (signo, poll.fd)
        };
        if signo == ready_signal() && fd != lfd {
            if let Some(c) = conns.get_mut(&fd)
                && !c.serve(&mut buf)
            {
                conns.remove(&fd);
            }
            continue;
        }
        if signo == ready_signal() {
            accept(&mut conns, &mut buf)?;
            continue;
        }
        // SIGIO: signals were lost; try everything once.
        accept(&mut conns, &mut buf)?;
        conns.retain(|_, c| c.serve(&mut buf));
    }
}
