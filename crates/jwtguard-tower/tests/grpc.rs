//! `JwtAuthLayer` in front of a tonic gRPC server: an unauthenticated call gets the gRPC
//! `UNAUTHENTICATED` status, an authenticated one reaches the service with its claims.
#![cfg(feature = "tonic")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::uri::PathAndQuery;
use jwtguard_test::Minter;
use jwtguard_tower::{Algorithm, JwtAuthLayer, Validator, Verified};
use serde_json::{Value, json};
use tonic::codegen::Service;
use tonic::server::NamedService;
use tonic::{Code, Request, Response, Status};
use tonic_prost::ProstCodec;

/// `message HelloRequest { string name = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
struct HelloRequest {
    #[prost(string, tag = "1")]
    name: String,
}

/// `message HelloReply { string message = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
struct HelloReply {
    #[prost(string, tag = "1")]
    message: String,
}

type BoxFut<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// What tonic's codegen would write for `service Greeter { rpc SayHello(...) }`, by hand, so the
/// test needs no protoc.
#[derive(Clone)]
struct Greeter;

impl NamedService for Greeter {
    const NAME: &'static str = "helloworld.Greeter";
}

struct SayHello;

impl tonic::server::UnaryService<HelloRequest> for SayHello {
    type Response = HelloReply;
    type Future = BoxFut<Response<HelloReply>, Status>;
    fn call(&mut self, req: Request<HelloRequest>) -> Self::Future {
        let sub =
            req.extensions().get::<Verified<Value>>().map(|v| v.claims()["sub"].as_str().unwrap_or("").to_owned());
        let name = req.into_inner().name;
        Box::pin(async move { Ok(Response::new(HelloReply { message: format!("hello {name}, you are {sub:?}") })) })
    }
}

impl Service<http::Request<tonic::body::Body>> for Greeter {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFut<Self::Response, Infallible>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        Box::pin(async move {
            if req.uri().path() == "/helloworld.Greeter/SayHello" {
                let mut grpc = tonic::server::Grpc::new(ProstCodec::<HelloReply, HelloRequest>::default());
                Ok(grpc.unary(SayHello, req).await)
            } else {
                Ok(Status::unimplemented("no such method").into_http())
            }
        })
    }
}

async fn say_hello(addr: std::net::SocketAddr, bearer: Option<&str>) -> Result<String, Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.unwrap();
    let mut req = Request::new(HelloRequest { name: "grpc".into() });
    if let Some(token) = bearer {
        req.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let path = PathAndQuery::from_static("/helloworld.Greeter/SayHello");
    let res: Response<HelloReply> = client.unary(req, path, ProstCodec::default()).await?;
    Ok(res.into_inner().message)
}

#[tokio::test]
async fn layer_in_front_of_a_tonic_server() {
    let validator = Validator::builder(jwtguard_test::Fixture::P256.key(), [Algorithm::ES256]).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .layer(JwtAuthLayer::<Value>::new(validator))
            .add_service(Greeter)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .unwrap();
    });

    let err = say_hello(addr, None).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(err.message(), "a bearer token is required");

    let err = say_hello(addr, Some("x.y.z")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(err.message(), "the access token is invalid");

    let now = jwtguard_test::unix_now();
    let token = Minter::new(Algorithm::ES256).token(&json!({"sub": "alice", "exp": now + 600}));
    assert_eq!(say_hello(addr, Some(&token)).await.unwrap(), "hello grpc, you are Some(\"alice\")");
}
