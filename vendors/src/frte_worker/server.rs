//! The server child of an `frte` worker: forked after `initialize`, it runs the vendor
//! library's calls; the worker sends it request frames over a pipe and reads reply frames
//! with a deadline, so a crash or hang in vendor code ends only the child.

use super::{INFO_CAPACITY, Library, info_text, verity_frte_create_template, verity_frte_free, verity_frte_match};
use std::ffi::c_void;

unsafe extern "C" {
    #[allow(clippy::too_many_arguments)]
    fn verity_frte1n_create_template(
        library: *mut c_void,
        width: u16,
        height: u16,
        depth: u8,
        description: u8,
        pixels: *const u8,
        role: c_int,
        out: *mut *mut u8,
        out_len: *mut usize,
        info: *mut std::ffi::c_char,
        cap: usize,
    ) -> c_int;
    #[allow(clippy::too_many_arguments)]
    fn verity_frte1n_identify(
        library: *mut c_void,
        template: *const u8,
        template_len: usize,
        candidates: u32,
        out: *mut *mut u8,
        out_len: *mut usize,
        info: *mut std::ffi::c_char,
        cap: usize,
    ) -> c_int;
}
use std::ffi::c_int;
use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::time::{Duration, Instant};

pub(super) const OP_CREATE: u8 = 1;
pub(super) const OP_MATCH: u8 = 2;
pub(super) const OP_IDENTIFY: u8 = 3;

/// The forked server: its pid and the parent's ends of its two pipes.
pub(super) struct Server {
    pid: libc::pid_t,
    to: RawFd,
    from: RawFd,
}

fn pipe() -> Result<[RawFd; 2], String> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    Ok(fds)
}

fn close(fd: RawFd) {
    // SAFETY: closing a descriptor this process owns.
    unsafe { libc::close(fd) };
}

pub(super) fn fork_server(library: &Library) -> Result<Server, String> {
    let requests = pipe()?;
    let replies = pipe()?;
    // SAFETY: the worker is single-threaded (it is started as its own process and starts
    // no threads), so the child may run any code after fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // Vendor code faults as it would in a plain C harness: the Rust runtime's
        // stack-overflow handlers are not its concern.
        for signal in [libc::SIGSEGV, libc::SIGBUS] {
            // SAFETY: restoring the default action of a signal in this child.
            unsafe { libc::signal(signal, libc::SIG_DFL) };
        }
        close(requests[1]);
        close(replies[0]);
        serve(library, requests[0], replies[1]);
        // SAFETY: leave at once, without running the parent's exit handlers.
        unsafe { libc::_exit(0) };
    }
    close(requests[0]);
    close(replies[1]);
    for fd in [requests[1], replies[0]] {
        // SAFETY: setting a flag on our own descriptor.
        unsafe { libc::fcntl(fd, libc::F_SETFL, libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK) };
    }
    Ok(Server { pid, to: requests[1], from: replies[0] })
}

/// The child: read request frames, call the library, write reply frames; exit at EOF.
fn serve(library: &Library, input: RawFd, output: RawFd) {
    // SAFETY: the child owns these descriptors from here on.
    let (mut input, mut output) = unsafe { (std::fs::File::from_raw_fd(input), std::fs::File::from_raw_fd(output)) };
    use std::io::Read;
    loop {
        let mut head = [0u8; 5];
        if input.read_exact(&mut head).is_err() {
            return;
        }
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut payload = vec![0u8; len];
        if input.read_exact(&mut payload).is_err() {
            return;
        }
        let (code, info, data) = match head[0] {
            OP_CREATE => create_in_child(library, &payload),
            OP_MATCH => match_in_child(library, &payload),
            OP_IDENTIFY => identify_in_child(library, &payload),
            _ => (1, "unknown request".to_string(), Vec::new()),
        };
        let mut frame = Vec::with_capacity(12 + info.len() + data.len());
        frame.extend_from_slice(&code.to_le_bytes());
        frame.extend_from_slice(&(info.len() as u32).to_le_bytes());
        frame.extend_from_slice(info.as_bytes());
        frame.extend_from_slice(&(data.len() as u32).to_le_bytes());
        frame.extend_from_slice(&data);
        if output.write_all(&frame).is_err() {
            return;
        }
    }
}

fn create_in_child(library: &Library, payload: &[u8]) -> (i32, String, Vec<u8>) {
    if payload.len() < 7 {
        return (1, "short request".into(), Vec::new());
    }
    let (role, label, depth) = (payload[0], payload[1], payload[2]);
    let width = u16::from_le_bytes([payload[3], payload[4]]);
    let height = u16::from_le_bytes([payload[5], payload[6]]);
    let pixels = &payload[7..];
    if pixels.len() != usize::from(width) * usize::from(height) * usize::from(depth / 8) {
        return (1, "pixel count does not match the image size".into(), Vec::new());
    }
    let mut out: *mut u8 = std::ptr::null_mut();
    let mut out_len = 0usize;
    let mut info = vec![0u8; INFO_CAPACITY];
    // SAFETY: `pixels` holds width × height × depth/8 bytes, as the shim copies; the
    // out pointers are valid; `info` has INFO_CAPACITY bytes.
    let create = if library.one_to_n { verity_frte1n_create_template } else { verity_frte_create_template };
    let code = unsafe {
        create(
            library.handle,
            width,
            height,
            depth,
            label,
            pixels.as_ptr(),
            c_int::from(role),
            &mut out,
            &mut out_len,
            info.as_mut_ptr().cast(),
            info.len(),
        )
    };
    let template = if out.is_null() {
        Vec::new()
    } else {
        // SAFETY: the shim malloc'd `out_len` bytes at `out`; copied, then freed once.
        let bytes = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
        // SAFETY: `out` came from the shim's malloc.
        unsafe { verity_frte_free(out) };
        bytes
    };
    (code, info_text(&info), template)
}

fn match_in_child(library: &Library, payload: &[u8]) -> (i32, String, Vec<u8>) {
    let Some(len) = payload.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize) else {
        return (1, "short request".into(), Vec::new());
    };
    let Some((a, b)) = payload.get(4..).filter(|rest| rest.len() >= len).map(|rest| rest.split_at(len)) else {
        return (1, "short request".into(), Vec::new());
    };
    let mut similarity = -1.0f64;
    let mut info = vec![0u8; INFO_CAPACITY];
    // SAFETY: the slices are valid for their lengths; `info` has INFO_CAPACITY bytes.
    let code = unsafe {
        verity_frte_match(
            library.handle,
            a.as_ptr(),
            a.len(),
            b.as_ptr(),
            b.len(),
            &mut similarity,
            info.as_mut_ptr().cast(),
            info.len(),
        )
    };
    (code, info_text(&info), similarity.to_le_bytes().to_vec())
}

fn identify_in_child(library: &Library, payload: &[u8]) -> (i32, String, Vec<u8>) {
    let Some(wanted) = payload.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])) else {
        return (1, "short request".into(), Vec::new());
    };
    let template = &payload[4..];
    let mut out: *mut u8 = std::ptr::null_mut();
    let mut out_len = 0usize;
    let mut info = vec![0u8; INFO_CAPACITY];
    // SAFETY: `template` is valid for its length; the out pointers are valid; `info` has
    // INFO_CAPACITY bytes.
    let code = unsafe {
        verity_frte1n_identify(
            library.handle,
            template.as_ptr(),
            template.len(),
            wanted,
            &mut out,
            &mut out_len,
            info.as_mut_ptr().cast(),
            info.len(),
        )
    };
    let list = if out.is_null() {
        Vec::new()
    } else {
        // SAFETY: the shim malloc'd `out_len` bytes at `out`; copied, then freed once.
        let bytes = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
        // SAFETY: `out` came from the shim's malloc.
        unsafe { verity_frte_free(out) };
        bytes
    };
    (code, info_text(&info), list)
}

/// The candidates the shim wrote (frte/shim1n.cpp, `verity_frte1n_identify`): for each,
/// whether it is assigned, its template id and score; `None` when the bytes are short.
pub(super) fn candidates(mut bytes: &[u8]) -> Option<Vec<(bool, String, f64)>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let assigned = *bytes.first()? != 0;
        let score = f64::from_le_bytes(bytes.get(1..9)?.try_into().ok()?);
        let len = u32::from_le_bytes(bytes.get(9..13)?.try_into().ok()?) as usize;
        let id = String::from_utf8_lossy(bytes.get(13..13 + len)?).into_owned();
        out.push((assigned, id, score));
        bytes = &bytes[13 + len..];
    }
    Some(out)
}

/// How a call to the server ended without a reply.
pub(super) enum Lost {
    Crashed(String),
    Hung,
}

fn wait_fd(fd: RawFd, events: libc::c_short, deadline: Instant) -> Result<(), Lost> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Lost::Hung);
        }
        let mut poll = libc::pollfd { fd, events, revents: 0 };
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as c_int;
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut poll, 1, ms) };
        if n > 0 {
            return Ok(());
        }
        if n < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return Err(Lost::Crashed(format!("poll: {}", std::io::Error::last_os_error())));
        }
    }
}

fn write_all(fd: RawFd, mut bytes: &[u8], deadline: Instant) -> Result<(), Lost> {
    while !bytes.is_empty() {
        wait_fd(fd, libc::POLLOUT, deadline)?;
        // SAFETY: writing from a valid slice to our descriptor.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) {
                continue;
            }
            return Err(Lost::Crashed(String::new()));
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

fn read_exact(fd: RawFd, buffer: &mut [u8], deadline: Instant) -> Result<(), Lost> {
    let mut done = 0;
    while done < buffer.len() {
        wait_fd(fd, libc::POLLIN, deadline)?;
        // SAFETY: reading into the unfilled part of a valid buffer.
        let n = unsafe { libc::read(fd, buffer[done..].as_mut_ptr().cast(), buffer.len() - done) };
        if n == 0 {
            return Err(Lost::Crashed(String::new()));
        }
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) {
                continue;
            }
            return Err(Lost::Crashed(String::new()));
        }
        done += n as usize;
    }
    Ok(())
}

fn signal_name(signal: c_int) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    }
}

impl Server {
    /// Send one request frame and read its reply, within `timeout`.
    pub(super) fn call(&self, op: u8, payload: &[u8], timeout: Duration) -> Result<(i32, String, Vec<u8>), Lost> {
        let deadline = Instant::now() + timeout;
        let mut frame = Vec::with_capacity(5 + payload.len());
        frame.push(op);
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(payload);
        write_all(self.to, &frame, deadline)?;
        let mut head = [0u8; 8];
        read_exact(self.from, &mut head, deadline)?;
        let code = i32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let mut info = vec![0u8; u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize];
        read_exact(self.from, &mut info, deadline)?;
        let mut len = [0u8; 4];
        read_exact(self.from, &mut len, deadline)?;
        let mut data = vec![0u8; u32::from_le_bytes(len) as usize];
        read_exact(self.from, &mut data, deadline)?;
        Ok((code, String::from_utf8_lossy(&info).into_owned(), data))
    }

    /// Stop the child (killing it if it still runs) and say how it ended.
    pub(super) fn end(self, kill: bool) -> String {
        close(self.to);
        close(self.from);
        let mut status: c_int = 0;
        let give_up = Instant::now() + Duration::from_millis(if kill { 0 } else { 1000 });
        loop {
            // SAFETY: waiting on our own child.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
            if r == self.pid {
                break;
            }
            if r < 0 {
                return "its exit status is unknown".into();
            }
            if Instant::now() >= give_up {
                // SAFETY: killing and reaping our own child.
                unsafe {
                    libc::kill(self.pid, libc::SIGKILL);
                    libc::waitpid(self.pid, &mut status, 0);
                }
                if kill {
                    return "killed".into();
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            format!("killed by signal {signal} ({})", signal_name(signal))
        } else if libc::WIFEXITED(status) {
            format!("exited with status {}", libc::WEXITSTATUS(status))
        } else {
            "stopped".into()
        }
    }
}
