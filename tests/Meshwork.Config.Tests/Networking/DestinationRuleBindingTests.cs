using Meshwork.Config.Networking;
using Meshwork.Config.Tests.Support;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Networking;

public class DestinationRuleBindingTests
{
    private const string EveryField = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: ratings
          namespace: prod
        spec:
          host: ratings.prod.svc.cluster.local
          exportTo: ["."]
          workloadSelector:
            matchLabels:
              app: ratings
          trafficPolicy:
            loadBalancer:
              consistentHash:
                httpCookie:
                  name: user
                  path: /
                  ttl: 0s
                  attributes:
                  - name: SameSite
                    value: None
                  - name: Secure
                maglev:
                  tableSize: 65537
              localityLbSetting:
                enabled: true
                failoverPriority: ["topology.istio.io/network"]
              warmup:
                duration: 300s
                minimumPercent: 5.5
                aggression: 2
            connectionPool:
              tcp:
                maxConnections: 100
                connectTimeout: 30ms
                tcpKeepalive:
                  probes: 9
                  time: 7200s
                  interval: 75s
                maxConnectionDuration: 1h
                idleTimeout: 0s
              http:
                http1MaxPendingRequests: 10
                http2MaxRequests: 1000
                maxRequestsPerConnection: 1
                maxRetries: 3
                idleTimeout: 1.5s
                h2UpgradePolicy: DO_NOT_UPGRADE
                useClientProtocol: true
                maxConcurrentStreams: 100
                http2KeepAlive:
                  interval: 15s
                  timeout: 5s
            outlierDetection:
              consecutiveErrors: 7
              splitExternalLocalOriginErrors: true
              consecutiveLocalOriginFailures: 4
              consecutiveGatewayErrors: 3
              consecutive5xxErrors: 5
              interval: 5m
              baseEjectionTime: 15m
              maxEjectionPercent: 50
              minHealthPercent: 10
            tls:
              mode: MUTUAL
              clientCertificate: /etc/certs/cert.pem
              privateKey: /etc/certs/key.pem
              caCertificates: /etc/certs/ca.pem
              credentialName: ""
              subjectAltNames: [ratings.prod]
              sni: ratings.example.com
              insecureSkipVerify: false
              caCrl: /etc/certs/crl.pem
            portLevelSettings:
            - port:
                number: 9080
              loadBalancer:
                simple: LEAST_REQUEST
                warmupDurationSecs: 10s
                localityLbSetting:
                  distribute:
                  - from: us-west/zone1/*
                    to:
                      "us-west/zone1/*": 80
                      "us-west/zone2/*": 20
                  failover: []
              connectionPool:
                tcp:
                  maxConnections: 1
              outlierDetection:
                interval: 1s
              tls:
                mode: ISTIO_MUTUAL
            retryBudget:
              percent: 25.5
              minRetryConcurrency: 3
              budgetInterval: 10s
          subsets:
          - name: v1
            labels:
              version: v1
            trafficPolicy:
              tunnel:
                protocol: POST
                targetHost: egress.example.com
                targetPort: 8443
          - name: v2
            trafficPolicy:
              proxyProtocol:
                version: V2
              loadBalancer:
                localityLbSetting:
                  failover:
                  - from: us-east
                    to: eu-west
                consistentHash:
                  useSourceIp: true
                  ringHash:
                    minimumRingSize: 1024
              outlierDetection:
                consecutive5xxErrors: 0
        """;

    [Fact]
    public void Bind_EveryField_RoundTripsIntoRecords()
    {
        var outcome = Validate.Yaml(EveryField);

        Assert.Empty(outcome.Diagnostics.Where(d => d.IsError).Select(d => d.ToString()));
        var spec = Assert.IsType<DestinationRule>(Assert.Single(outcome.Resources).Spec);
        Assert.Equal(Expected, spec);
    }

    [Fact]
    public void Bind_ProtoSnakeCaseNames_AreAccepted()
    {
        var spec = Assert.IsType<DestinationRule>(Assert.Single(Validate.Yaml("""
            apiVersion: networking.istio.io/v1beta1
            kind: DestinationRule
            metadata:
              name: r
            spec:
              host: a.b
              traffic_policy:
                connection_pool:
                  http:
                    h2_upgrade_policy: UPGRADE
                load_balancer:
                  consistent_hash:
                    http_query_parameter_name: user
            """).Resources).Spec);

        Assert.Equal(H2UpgradePolicy.Upgrade, spec.TrafficPolicy!.ConnectionPool!.Http!.H2UpgradePolicy);
        Assert.Equal("user", spec.TrafficPolicy.LoadBalancer!.ConsistentHash!.HttpQueryParameterName);
    }

    [Fact]
    public void Bind_TwoHashKeys_ReportsOneOfConflict()
    {
        var errors = Validate.Errors("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: r
            spec:
              host: a.b
              trafficPolicy:
                loadBalancer:
                  consistentHash:
                    httpHeaderName: x-user
                    useSourceIp: true
            """);

        Assert.Equal(["test.yaml:11: DestinationRule default/r: spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp: only one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName may be set, got httpHeaderName and useSourceIp"], errors);
    }

    [Fact]
    public void Bind_UnknownSimpleLb_ListsTheProtoNames()
    {
        var errors = Validate.Errors("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: r
            spec:
              host: a.b
              trafficPolicy:
                loadBalancer:
                  simple: LEAST_CONNECTIONS
            """);

        Assert.Equal(["test.yaml:9: DestinationRule default/r: spec.trafficPolicy.loadBalancer.simple: unknown value \"LEAST_CONNECTIONS\", expected one of: UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST"], errors);
    }

    private static DestinationRule Expected => new()
    {
        Host = "ratings.prod.svc.cluster.local",
        ExportTo = ValueList.Of("."),
        WorkloadSelector = new Types.WorkloadSelector { MatchLabels = Map(("app", "ratings")) },
        TrafficPolicy = new TrafficPolicy
        {
            LoadBalancer = new LoadBalancerSettings
            {
                ConsistentHash = new ConsistentHashLb
                {
                    HttpCookie = new HttpCookie
                    {
                        Name = "user",
                        Path = "/",
                        Ttl = TimeSpan.Zero,
                        Attributes = ValueList.Of(new HttpCookieAttribute { Name = "SameSite", Value = "None" }, new HttpCookieAttribute { Name = "Secure" }),
                    },
                    Maglev = new MagLev { TableSize = 65537 },
                },
                LocalityLbSetting = new LocalityLoadBalancerSetting { Enabled = true, FailoverPriority = ValueList.Of("topology.istio.io/network") },
                Warmup = new WarmupConfiguration { Duration = TimeSpan.FromSeconds(300), MinimumPercent = 5.5, Aggression = 2 },
            },
            ConnectionPool = new ConnectionPoolSettings
            {
                Tcp = new TcpConnectionPoolSettings
                {
                    MaxConnections = 100,
                    ConnectTimeout = TimeSpan.FromMilliseconds(30),
                    TcpKeepalive = new TcpKeepalive { Probes = 9, Time = TimeSpan.FromSeconds(7200), Interval = TimeSpan.FromSeconds(75) },
                    MaxConnectionDuration = TimeSpan.FromHours(1),
                    IdleTimeout = TimeSpan.Zero,
                },
                Http = new HttpConnectionPoolSettings
                {
                    Http1MaxPendingRequests = 10,
                    Http2MaxRequests = 1000,
                    MaxRequestsPerConnection = 1,
                    MaxRetries = 3,
                    IdleTimeout = TimeSpan.FromMilliseconds(1500),
                    H2UpgradePolicy = H2UpgradePolicy.DoNotUpgrade,
                    UseClientProtocol = true,
                    MaxConcurrentStreams = 100,
                    Http2KeepAlive = new Http2ConnectionKeepalive { Interval = TimeSpan.FromSeconds(15), Timeout = TimeSpan.FromSeconds(5) },
                },
            },
            OutlierDetection = new OutlierDetection
            {
                ConsecutiveErrors = 7,
                SplitExternalLocalOriginErrors = true,
                ConsecutiveLocalOriginFailures = 4,
                ConsecutiveGatewayErrors = 3,
                Consecutive5xxErrors = 5,
                Interval = TimeSpan.FromMinutes(5),
                BaseEjectionTime = TimeSpan.FromMinutes(15),
                MaxEjectionPercent = 50,
                MinHealthPercent = 10,
            },
            Tls = new ClientTlsSettings
            {
                Mode = ClientTlsMode.Mutual,
                ClientCertificate = "/etc/certs/cert.pem",
                PrivateKey = "/etc/certs/key.pem",
                CaCertificates = "/etc/certs/ca.pem",
                SubjectAltNames = ValueList.Of("ratings.prod"),
                Sni = "ratings.example.com",
                InsecureSkipVerify = false,
                CaCrl = "/etc/certs/crl.pem",
            },
            PortLevelSettings = ValueList.Of(new PortTrafficPolicy
            {
                Port = new PortSelector { Number = 9080 },
                LoadBalancer = new LoadBalancerSettings
                {
                    Simple = SimpleLb.LeastRequest,
                    WarmupDurationSecs = TimeSpan.FromSeconds(10),
                    LocalityLbSetting = new LocalityLoadBalancerSetting
                    {
                        Distribute = ValueList.Of(new LocalityDistribute
                        {
                            From = "us-west/zone1/*",
                            To = new ValueMap<string, uint>([new("us-west/zone1/*", 80u), new("us-west/zone2/*", 20u)]),
                        }),
                    },
                },
                ConnectionPool = new ConnectionPoolSettings { Tcp = new TcpConnectionPoolSettings { MaxConnections = 1 } },
                OutlierDetection = new OutlierDetection { Interval = TimeSpan.FromSeconds(1) },
                Tls = new ClientTlsSettings { Mode = ClientTlsMode.IstioMutual },
            }),
            RetryBudget = new RetryBudget { Percent = 25.5, MinRetryConcurrency = 3, BudgetInterval = TimeSpan.FromSeconds(10) },
        },
        Subsets = ValueList.Of(
            new Subset
            {
                Name = "v1",
                Labels = Map(("version", "v1")),
                TrafficPolicy = new TrafficPolicy { Tunnel = new TunnelSettings { Protocol = "POST", TargetHost = "egress.example.com", TargetPort = 8443 } },
            },
            new Subset
            {
                Name = "v2",
                TrafficPolicy = new TrafficPolicy
                {
                    ProxyProtocol = new ProxyProtocol { Version = ProxyProtocolVersion.V2 },
                    LoadBalancer = new LoadBalancerSettings
                    {
                        LocalityLbSetting = new LocalityLoadBalancerSetting { Failover = ValueList.Of(new LocalityFailover { From = "us-east", To = "eu-west" }) },
                        ConsistentHash = new ConsistentHashLb { UseSourceIp = true, RingHash = new RingHash { MinimumRingSize = 1024 } },
                    },
                    OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 0 },
                },
            }),
    };

    private static ValueMap<string, string> Map(params (string Key, string Value)[] entries) =>
        new(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));
}
