//! Ctrl-C for the commands that run until it (`watch`, `sync --rehearse --serve`): the
//! handler is installed before they say they are ready, so an interrupt the moment the
//! address is shown ends them as any other does, never by the default action of the signal
//! (which would kill a push half-way through its bookkeeping).

use std::future::Future;
use std::pin::Pin;

/// A future that completes at the next Ctrl-C, with its handler already installed.
pub fn handler(rt: &tokio::runtime::Runtime) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    // Polled once, which installs the handler (it is lazy).
    let early = rt.block_on(async {
        tokio::select! {
            biased;
            _ = &mut ctrl_c => true,
            () = std::future::ready(()) => false,
        }
    });
    if early {
        return Box::pin(std::future::ready(()));
    }
    Box::pin(async move {
        let _ = ctrl_c.await;
    })
}
