// See topology_fixture.h. Every server runs as a ServerProcess (its own
// process group, killed with the test by PR_SET_PDEATHSIG) in one temp
// directory per topology, on ports picked free at start.
#include "topology_fixture.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/jwt.h"
#include "core/time_util.h"
#include "store/postgres/pg_test_cluster.h"
#include "test_client.h"

namespace fleetd::topo {
namespace {

using Clock = std::chrono::steady_clock;

std::string Tail(const std::string& path, size_t max = 3000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max ? s.substr(s.size() - max) : s;
}

std::string Port(uint16_t p) { return std::to_string(p); }

}  // namespace

Topology::Topology(TopologyOptions options) : options_(options) {
  dir_ = test::MakeTempDir("fleetd_topology_");
  secret_ = std::string(40, 't');
  pg_password_ = "fleetd-topology-pw";
}

Topology::~Topology() {
  if (haproxy_) haproxy_->Stop();
  for (auto& n : nodes_) {
    if (n->proc) n->proc->Stop();
  }
  if (postgres_) {
    StopPostgres();
  }
  redis_.reset();
  for (auto& n : nats_) n.reset();
  if (!std::getenv("FLEETD_KEEP_TEST_DIR")) test::RemoveTree(dir_);
}

bool Topology::StartNats() {
  auto nats = test::FindProgram("nats-server");
  if (!nats) return why_ = "nats-server is not installed", false;
  const int n = options_.nats_nodes;
  std::vector<uint16_t> cluster_ports;
  for (int i = 0; i < n; ++i) {
    nats_client_.push_back(test::PickFreePort());
    nats_monitor_.push_back(test::PickFreePort());
    cluster_ports.push_back(test::PickFreePort());
  }
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> argv = {*nats, "-js", "-sd", dir_ + "/nats" + std::to_string(i), "-a", "127.0.0.1",
                                     "-p", Port(nats_client_[i]), "-m", Port(nats_monitor_[i]),
                                     "--server_name", "n" + std::to_string(i)};
    if (n > 1) {
      std::string routes;
      for (int j = 0; j < n; ++j) {
        if (j == i) continue;
        routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + Port(cluster_ports[j]);
      }
      for (const std::string& a : {std::string("--cluster_name"), std::string("fleetd"), std::string("-cluster"),
                                   "nats://127.0.0.1:" + Port(cluster_ports[i]), std::string("--routes"), routes}) {
        argv.push_back(a);
      }
    }
    nats_.push_back(test::ServerProcess::Start(argv, dir_ + "/nats" + std::to_string(i) + ".log"));
    if (!nats_.back()) return why_ = "cannot start nats-server", false;
  }
  for (int i = 0; i < n; ++i) {
    if (!test::WaitForPort(nats_client_[i], std::chrono::seconds(15))) {
      return why_ = "nats-server did not start: " + nats_[i]->Log(), false;
    }
  }
  // JetStream is usable once /healthz says so (a cluster has elected a meta leader).
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = true;
    for (int j = 0; j < n; ++j) ready = ready && test::Http(nats_monitor_[j], "GET", "/healthz").status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!ready) return why_ = "JetStream not ready: " + nats_[0]->Log(), false;
  queue_url_ = "nats://";
  for (int i = 0; i < n; ++i) queue_url_ += (i ? ",127.0.0.1:" : "127.0.0.1:") + Port(nats_client_[i]);
  queue_url_ += "?partitions=" + std::to_string(options_.partitions) + "&replicas=" + std::to_string(n > 1 ? 3 : 1) +
                "&publish_timeout=3s&ack_wait=5s";
  return true;
}

bool Topology::InitPostgres() {
  auto initdb = test::FindProgram("initdb");
  auto postgres = test::FindProgram("postgres");
  if (!initdb || !postgres) return why_ = "postgresql-15 is not installed", false;
  postgres_bin_ = *postgres;
  const std::string user = geteuid() == 0 ? "postgres" : "";
  const std::string pwfile = dir_ + "/pgpw";
  {
    std::ofstream out(pwfile);
    out << pg_password_ << "\n";
  }
  chmod(pwfile.c_str(), 0644);
  int rc = test::RunCommand({*initdb, "-D", dir_ + "/pg", "-U", "postgres", "--pwfile=" + pwfile, "-A",
                             "scram-sha-256", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"},
                            dir_ + "/initdb.log", user);
  if (rc != 0) return why_ = "initdb failed: " + Tail(dir_ + "/initdb.log"), false;
  pg_port_ = test::PickFreePort();
  if (!StartPostgres()) return false;
  const std::string su = "postgresql://postgres:" + pg_password_ + "@127.0.0.1:" + Port(pg_port_) + "/postgres";
  auto session = pgtest::SqlSession::Connect(su);
  if (!session.ok()) return why_ = "psql: " + session.status().ToString(), false;
  for (const std::string& q : {"CREATE ROLE fleetd LOGIN CREATEROLE PASSWORD '" + pg_password_ + "'",
                              std::string("CREATE DATABASE fleetd OWNER fleetd")}) {
    auto r = (*session)->Run(q);
    if (!r.ok) return why_ = q + ": " + r.error, false;
  }
  store_url_ = "postgresql://fleetd:" + pg_password_ + "@127.0.0.1:" + Port(pg_port_) + "/fleetd?connect_timeout=5";
  return true;
}

bool Topology::StartPostgres() {
  const std::string user = geteuid() == 0 ? "postgres" : "";
  postgres_ = test::ServerProcess::Start({postgres_bin_, "-D", dir_ + "/pg", "-p", Port(pg_port_), "-k", dir_, "-c",
                                          "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                                          "full_page_writes=off", "-c", "max_connections=300"},
                                         dir_ + "/postgres.log", user);
  const std::string url = "postgresql://postgres:" + pg_password_ + "@127.0.0.1:" + Port(pg_port_) +
                          "/postgres?connect_timeout=2";
  for (int i = 0; i < 300 && postgres_ && postgres_->running(); ++i) {
    if (pgtest::SqlSession::Connect(url).ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return why_ = "postgres did not start: " + Tail(dir_ + "/postgres.log"), false;
}

void Topology::StopPostgres() {
  if (!postgres_) return;
  postgres_->Signal(SIGINT);  // fast shutdown: sessions are cut, as in a real outage
  if (!postgres_->WaitExit(std::chrono::seconds(20))) postgres_->Stop(std::chrono::seconds(1));
  postgres_.reset();
}

std::vector<std::string> Topology::Fleetd(const std::string& role, const std::string& name) {
  return {FLEETD_BINARY, role, "--data-dir", dir_ + "/" + name, "--store", store_url_, "--live",
          "redis://127.0.0.1:" + Port(redis_port_), "--jwt-secret", secret_, "--threads", "2"};
}

bool Topology::StartNode(Node& n) {
  if (n.proc) n.proc->Stop();
  n.proc = test::ServerProcess::Start(n.argv, dir_ + "/" + n.name + ".log");
  if (!n.proc) return why_ = "cannot start " + n.name, false;
  for (uint16_t p : {n.http_port, n.gt06_port, n.teltonika_port}) {
    if (p && !test::WaitForPort(p, std::chrono::seconds(30))) {
      return why_ = n.name + " did not open port " + Port(p) + ": " + Tail(dir_ + "/" + n.name + ".log"), false;
    }
  }
  return true;
}

void Topology::KillNode(const std::string& name) {
  Node& n = node(name);
  n.proc->Signal(SIGKILL);
  n.proc->WaitExit(std::chrono::seconds(10));
}

Node& Topology::node(const std::string& name) {
  for (auto& n : nodes_) {
    if (n->name == name) return *n;
  }
  std::abort();  // a test asked for a node it never started: a bug in the test
}

bool Topology::StartHaproxy() {
  auto haproxy = test::FindProgram("haproxy");
  if (!haproxy) return why_ = "haproxy is not installed", false;
  haproxy_gt06_ = test::PickFreePort();
  haproxy_teltonika_ = test::PickFreePort();
  haproxy_api_ = test::PickFreePort();
  std::ostringstream cfg;
  cfg << "global\n  maxconn 4000\n\n"
      << "defaults\n  timeout connect 1s\n  timeout client 10m\n  timeout server 10m\n  timeout tunnel 1h\n"
      << "  retries 3\n  option redispatch\n  default-server inter 500ms fall 1 rise 2\n\n";
  for (const char* proto : {"gt06", "teltonika"}) {
    const bool gt06 = std::string(proto) == "gt06";
    cfg << "frontend " << proto << "\n  mode tcp\n  bind 127.0.0.1:" << (gt06 ? haproxy_gt06_ : haproxy_teltonika_)
        << "\n  default_backend " << proto << "_ingest\n\n"
        << "backend " << proto << "_ingest\n  mode tcp\n  balance leastconn\n"
        << "  option httpchk GET /healthz\n  http-check expect status 200\n";
    for (auto& n : nodes_) {
      if (n->name.rfind("ingest", 0) != 0) continue;
      cfg << "  server " << n->name << " 127.0.0.1:" << (gt06 ? n->gt06_port : n->teltonika_port) << " check port "
          << n->http_port << " on-marked-down shutdown-sessions\n";
    }
    cfg << "\n";
  }
  cfg << "frontend api\n  mode http\n  bind 127.0.0.1:" << haproxy_api_ << "\n  default_backend api_nodes\n\n"
      << "backend api_nodes\n  mode http\n  balance roundrobin\n  option httpchk GET /healthz\n"
      << "  http-check expect status 200\n";
  for (auto& n : nodes_) {
    if (n->name.rfind("api", 0) == 0) cfg << "  server " << n->name << " 127.0.0.1:" << n->http_port << " check\n";
  }
  {
    std::ofstream out(dir_ + "/haproxy.cfg");
    out << cfg.str();
  }
  haproxy_ = test::ServerProcess::Start({*haproxy, "-db", "-f", dir_ + "/haproxy.cfg"}, dir_ + "/haproxy.log");
  if (!haproxy_ || !test::WaitForPort(haproxy_gt06_, std::chrono::seconds(15)) ||
      !test::WaitForPort(haproxy_api_, std::chrono::seconds(15))) {
    return why_ = "haproxy did not start: " + Tail(dir_ + "/haproxy.log"), false;
  }
  return true;
}

bool Topology::Start() {
  if (dir_.empty()) return why_ = "no temp dir", false;
  if (!StartNats() || !InitPostgres()) return false;
  auto redis = test::FindProgram("redis-server");
  if (!redis) return why_ = "redis-server is not installed", false;
  redis_port_ = test::PickFreePort();
  redis_ = test::ServerProcess::Start({*redis, "--port", Port(redis_port_), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", dir_},
                                      dir_ + "/redis.log");
  if (!redis_ || !test::WaitForPort(redis_port_, std::chrono::seconds(10))) return why_ = "redis did not start", false;

  // The schema is migrated by the first command that opens the store.
  std::vector<std::string> add = {FLEETD_BINARY, "tenant", "add", "acme", "--store", store_url_, "--data-dir", dir_};
  if (test::RunCommand(add, dir_ + "/admin.log") != 0) return why_ = "tenant add: " + Tail(dir_ + "/admin.log"), false;
  tenant_id_ = std::stoll(Sql("SELECT id FROM tenants WHERE name = 'acme'"));

  const size_t half = options_.partitions / 2;
  const std::string ranges[2] = {"0-" + std::to_string(half - 1),
                                 std::to_string(half) + "-" + std::to_string(options_.partitions - 1)};
  for (int i = 1; i <= 2; ++i) {
    auto n = std::make_unique<Node>();
    n->name = "ingest-" + std::to_string(i);
    n->argv = Fleetd("ingest", n->name);
    n->http_port = test::PickFreePort();
    n->gt06_port = test::PickFreePort();
    n->teltonika_port = test::PickFreePort();
    for (const std::string& a : {std::string("--queue"), queue_url_, std::string("--listen"),
                                 "gt06=127.0.0.1:" + Port(n->gt06_port), std::string("--listen"),
                                 "teltonika=127.0.0.1:" + Port(n->teltonika_port), std::string("--api"),
                                 "127.0.0.1:" + Port(n->http_port)}) {
      n->argv.push_back(a);
    }
    nodes_.push_back(std::move(n));
  }
  for (int i = 1; i <= 2; ++i) {
    auto n = std::make_unique<Node>();
    n->name = "process-" + std::to_string(i);
    n->argv = Fleetd("process", n->name);
    n->http_port = test::PickFreePort();
    for (const std::string& a : {std::string("--queue"), queue_url_ + "&consume=" + ranges[i - 1],
                                 std::string("--api"), "127.0.0.1:" + Port(n->http_port)}) {
      n->argv.push_back(a);
    }
    nodes_.push_back(std::move(n));
  }
  for (int i = 1; i <= 2; ++i) {
    auto n = std::make_unique<Node>();
    n->name = "api-" + std::to_string(i);
    n->argv = Fleetd("api", n->name);
    n->http_port = test::PickFreePort();
    n->argv.push_back("--api");
    n->argv.push_back("127.0.0.1:" + Port(n->http_port));
    nodes_.push_back(std::move(n));
  }
  // ingest-1 first: it creates the stream the others bind to.
  if (!StartNode(*nodes_[0])) return false;
  for (size_t i = 1; i < nodes_.size(); ++i) {
    nodes_[i]->proc = test::ServerProcess::Start(nodes_[i]->argv, dir_ + "/" + nodes_[i]->name + ".log");
  }
  for (size_t i = 1; i < nodes_.size(); ++i) {
    Node& n = *nodes_[i];
    for (uint16_t p : {n.http_port, n.gt06_port, n.teltonika_port}) {
      if (p && !test::WaitForPort(p, std::chrono::seconds(30))) {
        return why_ = n.name + " did not start: " + Tail(dir_ + "/" + n.name + ".log"), false;
      }
    }
  }
  if (!StartHaproxy()) return false;
  // HAProxy marks a server up after `rise` good checks.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  return true;
}

bool Topology::AddDevice(const std::string& uid) {
  return test::RunCommand({FLEETD_BINARY, "device", "add", "--tenant", "acme", "--uid", uid, "--store", store_url_,
                           "--data-dir", dir_},
                          dir_ + "/admin.log") == 0;
}

std::string Topology::StreamLeader() {
  for (size_t i = 0; i < nats_.size(); ++i) {
    if (!nats_[i]->running()) continue;
    auto r = test::Http(nats_monitor_[i], "GET", "/jsz?streams=true");
    auto j = r.Json();
    if (r.status != 200 || !j.is_object() || !j.contains("account_details")) continue;
    for (auto& account : j["account_details"]) {
      for (auto& s : account.value("stream_detail", nlohmann::json::array())) {
        if (s.contains("cluster") && s["cluster"].contains("leader")) return s["cluster"]["leader"].get<std::string>();
      }
    }
  }
  return "";
}

int Topology::NatsConnections(int i) {
  auto j = test::Http(nats_monitor_[i], "GET", "/connz").Json();
  return j.is_object() ? j.value("num_connections", 0) : 0;
}

std::string Topology::Token() {
  api::JwtClaims c;
  c.subject = "token";
  c.tenant_id = tenant_id_;
  c.tenant_name = "acme";
  c.role = Role::kAdmin;
  c.issued_at = NowMs() / 1000;
  c.expires_at = c.issued_at + 3600;
  return *api::SignJwt(c, secret_);
}

std::string Topology::Sql(const std::string& query) {
  auto s = pgtest::SqlSession::Connect("postgresql://postgres:" + pg_password_ + "@127.0.0.1:" + Port(pg_port_) +
                                       "/fleetd?connect_timeout=5");
  if (!s.ok()) return "ERROR " + s.status().ToString();
  return (*s)->Scalar(query);
}

std::map<std::string, Topology::Stored> Topology::StoredPositions() {
  std::map<std::string, Stored> out;
  auto s = pgtest::SqlSession::Connect("postgresql://postgres:" + pg_password_ + "@127.0.0.1:" + Port(pg_port_) +
                                       "/fleetd?connect_timeout=5");
  if (!s.ok()) return out;
  auto r = (*s)->Run(
      "SELECT convert_from(d.uid, 'UTF8'), count(*), count(DISTINCT p.ts), min(p.ts), max(p.ts) "
      "FROM positions p JOIN devices d ON d.id = p.device_id GROUP BY 1");
  for (auto& row : r.rows) {
    out[row[0]] = Stored{std::stoll(row[1]), std::stoll(row[2]), std::stoll(row[3]), std::stoll(row[4])};
  }
  return out;
}

int64_t Topology::TotalPositions() {
  std::string v = Sql("SELECT count(*) FROM positions");
  return v.rfind("ERROR", 0) == 0 || v.empty() ? -1 : std::stoll(v);
}

bool Topology::WaitForPositions(int64_t rows, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (TotalPositions() >= rows) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

double Topology::Metric(const std::string& node_name, const std::string& series) {
  auto r = test::Http(node(node_name).http_port, "GET", "/metrics");
  if (r.status != 200) return -1;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

std::string Topology::Logs() {
  std::string out;
  for (auto& n : nodes_) out += "\n--- " + n->name + "\n" + Tail(dir_ + "/" + n->name + ".log", 1500);
  out += "\n--- postgres\n" + Tail(dir_ + "/postgres.log", 1500);
  for (size_t i = 0; i < nats_.size(); ++i) {
    out += "\n--- nats" + std::to_string(i) + "\n" + Tail(dir_ + "/nats" + std::to_string(i) + ".log", 1500);
  }
  out += "\n--- haproxy\n" + Tail(dir_ + "/haproxy.log", 1000);
  return out;
}

}  // namespace fleetd::topo
