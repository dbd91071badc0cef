// The Beast side of the API: the listener (accept loop) and the per
// connection HTTP session. Everything here only moves bytes; what to answer
// comes from Router, and upgrades are handed to WebsocketSession.
#include "api/http_server.h"

#include <atomic>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/json_util.h"
#include "api/server_state.h"
#include "api/websocket_session.h"

namespace fleetd::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr size_t kLingerMaxBytes = 1 << 20;

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

class HttpSession : public std::enable_shared_from_this<HttpSession>, public Closeable {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<ServerState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = remote.address().to_string();
  }
  ~HttpSession() override {
    if (id_) state_->Unregister(*id_);
  }

  void Run() {
    id_ = state_->Register(weak_from_this());
    if (!id_) return;  // stopping: dropping the last reference closes the socket
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
  }

  void Close() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(state_->ctx().body_limit);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(state_->ctx().read_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream) return Linger();
    if (ec == http::error::body_limit) return WriteError(413, "request body too large");
    if (ec == http::error::header_limit) return WriteError(431, "request header too large");
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return WriteError(400, "malformed HTTP request");
    }
    if (ec) return;  // timeout, reset, or closed by Stop(): just drop the connection

    auto& req = parser_->get();
    if (websocket::is_upgrade(req) && PathOf(std::string_view(req.target().data(), req.target().size())) == kStreamPath &&
        !state_->ctx().metrics_only) {
      return Upgrade();
    }

    ApiRequest request = Translate(req);
    if (Router::HashesPassword(request)) {
      return HandleOffIoThread(state_->slow_work(), "too many logins in progress; retry shortly", std::move(request),
                               req.version(), req.keep_alive());
    }
    if (Router::WaitsOnServers(request) && !state_->ctx().metrics_only) {
      return HandleOffIoThread(state_->query_work(), "too many requests in progress; retry shortly",
                               std::move(request), req.version(), req.keep_alive());
    }
    ApiResponse response = state_->router().Handle(request);
    Write(response, req.version(), req.keep_alive() && !state_->stopping());
  }

  // A login hashes a password for ~100 ms, a query waits on a database: on
  // a pool, so this io thread keeps serving its other clients; the answer
  // is written back on the session's strand. A full pool answers 503 with
  // Retry-After.
  void HandleOffIoThread(BlockingPool& pool, std::string_view busy_message, ApiRequest request, unsigned version,
                         bool keep_alive) {
    auto job = [self = shared_from_this(), request = std::move(request), version, keep_alive] {
      ApiResponse response = self->state_->router().Handle(request);
      net::post(self->stream_.get_executor(), [self, response = std::move(response), version, keep_alive] {
        self->Write(response, version, keep_alive && !self->state_->stopping());
      });
    };
    if (pool.TrySubmit(std::move(job))) return;
    ApiResponse busy = ErrorResponse(503, busy_message);
    busy.headers.emplace_back("Retry-After", "1");
    Write(busy, version, keep_alive && !state_->stopping());
  }

  ApiRequest Translate(const http::request<http::string_body>& req) const {
    ApiRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.content_type = std::string(req[http::field::content_type]);
    request.body = req.body();
    request.remote_address = remote_;
    return request;
  }

  void Upgrade() {
    auto claims = state_->router().AuthenticateStream(Translate(parser_->get()));
    if (!claims.ok()) {
      ApiResponse r = ErrorResponse(401, claims.status().message());
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return Write(r, parser_->get().version(), false);
    }
    Count(101);
    stream_.expires_never();
    std::make_shared<WebsocketSession>(stream_.release_socket(), state_, std::move(*claims))
        ->Run(parser_->release());
  }

  void WriteError(int status, std::string_view message) { Write(ErrorResponse(status, message), 11, false); }

  void Write(const ApiResponse& response, unsigned version, bool keep_alive) {
    Count(response.status);
    res_ = {};
    res_.version(version);
    res_.result(static_cast<unsigned>(response.status));
    res_.set(http::field::server, "fleetd");
    if (!response.content_type.empty()) res_.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res_.insert(name, value);
    res_.body() = response.body;
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    close_after_write_ = !keep_alive;
    stream_.expires_after(state_->ctx().read_timeout);
    http::async_write(stream_, res_, beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) return;
    if (close_after_write_) return Linger();
    DoRead();
  }

  // Half-closes, then reads and discards what the client still sends (for
  // example the rest of a too-large body) until it closes too, so the
  // kernel does not answer with a reset that destroys our response.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(kLingerTimeout);
    DoDrain();
  }

  void DoDrain() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                              self->drained_ += bytes;
                              if (ec || self->drained_ > kLingerMaxBytes) return;
                              self->DoDrain();
                            });
  }

  void Count(int status) {
    state_->metrics()
        .GetCounter("fleetd_http_responses_total", {{"code", std::to_string(status)}}, "HTTP responses by status")
        .Add();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<ServerState> state_;
  std::optional<uint64_t> id_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  bool close_after_write_ = false;
  std::array<char, 4096> drain_{};
  size_t drained_ = 0;
};

}  // namespace

class ApiServer::Listener : public std::enable_shared_from_this<ApiServer::Listener> {
 public:
  Listener(net::io_context& ioc, ApiContext context)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        backoff_(acceptor_.get_executor()),
        state_(std::make_shared<ServerState>(std::move(context))) {}

  Status Start(const std::string& address, uint16_t port) {
    if (stopped_) return Status(StatusCode::kInvalidArgument, "server was stopped");
    beast::error_code ec;
    auto ip = net::ip::make_address(address, ec);
    if (ec) return Status(StatusCode::kInvalidArgument, "bad bind address '" + address + "'");
    tcp::endpoint endpoint(ip, port);
    std::string where = address + ":" + std::to_string(port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return Status(StatusCode::kIoError, "listen on " + where + ": " + ec.message());
    port_ = acceptor_.local_endpoint(ec).port();
    state_->hub().Start();
    net::dispatch(acceptor_.get_executor(), beast::bind_front_handler(&Listener::DoAccept, shared_from_this()));
    return Status::Ok();
  }

  uint16_t port() const { return port_; }

  void Stop() {
    if (stopped_.exchange(true)) return;
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_.cancel();
    });
    for (auto& session : state_->BeginStop()) session->Close();
    state_->hub().Stop();
  }

 private:
  void DoAccept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      std::make_shared<HttpSession>(std::move(socket), state_)->Run();
      return DoAccept();
    }
    // EMFILE and friends: the connection is lost; pause instead of spinning.
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && self->acceptor_.is_open()) self->DoAccept();
    });
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_;  // runs on the acceptor's strand
  std::shared_ptr<ServerState> state_;
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> stopped_{false};
};

ApiServer::ApiServer(net::io_context& ioc, std::string bind_address, uint16_t port, ApiContext context)
    : listener_(std::make_shared<Listener>(ioc, std::move(context))),
      bind_address_(std::move(bind_address)),
      bind_port_(port) {}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Start() { return listener_->Start(bind_address_, bind_port_); }

uint16_t ApiServer::port() const { return listener_->port(); }

void ApiServer::Stop() { listener_->Stop(); }

}  // namespace fleetd::api
