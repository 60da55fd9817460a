//! HTTP/1.1 transport for `api::Api` (hyper on a current-thread tokio runtime): each request's
//! method, path, query and `Accept` header to `Api::handle`, its `Reply` back. A watch reply's
//! body stays open for its hold time after its events.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use super::api::{Api, Reply};

/// A reply's body: its bytes, then for a watch an open stream until the hold time ends.
struct ReplyBody {
    data: Option<Bytes>,
    hold: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(data) = self.data.take().filter(|d| !d.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        let Some(sleep) = self.hold.as_mut() else {
            return Poll::Ready(None);
        };
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.hold = None;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.hold.is_none() && self.data.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.hold, &self.data) {
            (None, Some(d)) => SizeHint::with_exact(d.len() as u64),
            (None, None) => SizeHint::with_exact(0),
            (Some(_), _) => SizeHint::default(),
        }
    }
}

fn respond(api: &Api, req: &Request<Incoming>) -> Response<ReplyBody> {
    let accept = req
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let reply: Reply = api.handle(&super::api::Request {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.uri().query().unwrap_or(""),
        accept,
    });
    let head = req.method() == hyper::Method::HEAD;
    let body = ReplyBody {
        data: (!head).then(|| Bytes::from(reply.body)),
        hold: reply
            .hold
            .filter(|_| !head)
            .map(|d| Box::pin(tokio::time::sleep(d))),
    };
    let mut response = Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::OK);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    response
}

/// Serves `api` on `listener` until the process ends.
///
/// # Errors
/// When the runtime cannot be built or the listener cannot be handed to it.
pub(crate) fn serve(listener: std::net::TcpListener, api: Arc<Api>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors and the like: wait and go on.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let api = Arc::clone(&api);
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let response = respond(&api, &req);
                    async move { Ok::<_, Infallible>(response) }
                });
                // A client going away mid-request is not the server's problem.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
