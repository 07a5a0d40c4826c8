//! The one message loop of every server: each turn answers the previous request and takes the
//! next message in a single `reply_receive`, so a request costs one system call, not two.

use super::{IpcError, Message, Received, receive};
// LAB 5 BEGIN: the call that answers one request and takes the next message
use super::reply_receive;
// LAB 5 STUB
// use super::reply;
// LAB 5 END
use crate::abi::{FOREVER, KERNEL_SENDER, TaskId};

/// A server's loop, for servers that need more than `serve`: a receive timeout (a watchdog),
/// or work between requests. `answer` sets the reply; the next `next` sends it.
pub struct ServeLoop {
    // The caller to answer and the answer: the registers of the next `reply_receive` are built
    // straight from them (this loop is on every server's hot path).
    caller: TaskId,
    reply: Message,
    answering: bool,
}

impl ServeLoop {
    pub const fn new() -> Self {
        Self { caller: KERNEL_SENDER, reply: Message::new(0, [0; 4]), answering: false }
    }

    /// Sends the answer given since the last `next`, if any (a caller that has died meanwhile
    /// is skipped), then waits up to `timeout` ticks for a message or notification.
    #[inline(always)]
    pub fn next(&mut self, timeout: u64) -> Result<Received, IpcError> {
        // LAB 5 BEGIN: the same turn as `serve` below, with a timeout: the answer, if there is one, and the next message in one reply_receive
        let next = if self.answering {
            reply_receive(self.caller, &self.reply, None, timeout)
        } else {
            receive(None, timeout)
        };
        // The kernel replies before it receives, so the answer is gone even if this failed.
        self.answering = false;
        next
        // LAB 5 STUB
        // if self.answering {
        //     let _ = reply(self.caller, &self.reply);
        // }
        // self.answering = false;
        // receive(None, timeout)
        // LAB 5 END
    }

    /// The reply to `request`, sent by the next `next`. A notification is never answered; a
    /// request answered later (a console read) gets no `answer` here but a `sys::reply` then.
    #[inline(always)]
    pub fn answer(&mut self, request: &Received, reply: Message) {
        if request.sender != KERNEL_SENDER {
            self.answer_to(request.sender, reply);
        }
    }

    #[inline(always)]
    fn answer_to(&mut self, caller: TaskId, reply: Message) {
        (self.caller, self.reply, self.answering) = (caller, reply, true);
    }
}

impl Default for ServeLoop {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves requests forever: `handle` answers each message with a reply, or `None` for
/// notifications and requests answered later or not at all. The same turn as `ServeLoop`,
/// kept in locals: this loop is the benchmark's IPC path and every server's, and a value kept
/// in a struct across the handler costs instructions on both (`cargo xtask bench`: 989 IPC
/// round-trip instructions this way, 1000 through `ServeLoop`).
pub fn serve(mut handle: impl FnMut(&Received) -> Option<Message>) -> ! {
    // LAB 5 BEGIN: one system call per request: answer the last request and take the next message in one reply_receive (a notification, or a request handled without an answer, gets no reply)
    let mut caller = KERNEL_SENDER;
    let mut reply = Message::new(0, [0; 4]);
    let mut answering = false;
    loop {
        let next = if answering {
            reply_receive(caller, &reply, None, FOREVER)
        } else {
            receive(None, FOREVER)
        };
        answering = false;
        let Ok(request) = next else { continue };
        let from_kernel = request.sender == KERNEL_SENDER;
        if let Some(answer) = handle(&request) {
            if !from_kernel {
                (caller, reply, answering) = (request.sender, answer, true);
            }
        }
    }
    // LAB 5 STUB
    // // Two system calls per request: a receive, then a reply.
    // loop {
    //     let Ok(request) = receive(None, FOREVER) else { continue };
    //     if let Some(answer) = handle(&request) {
    //         if request.sender != KERNEL_SENDER {
    //             let _ = reply(request.sender, &answer);
    //         }
    //     }
    // }
    // LAB 5 END
}
