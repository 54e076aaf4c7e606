using Meshwork.Config.Networking;
using Meshwork.Config.Tests.Support;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Networking;

public class SidecarBindingTests
{
    private const string EveryField = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata:
          name: ratings
          namespace: prod
        spec:
          workloadSelector:
            labels:
              app: ratings
          ingress:
          - port:
              number: 9443
              protocol: HTTPS
              name: https-ratings
            bind: 172.16.1.32
            captureMode: NONE
            defaultEndpoint: 127.0.0.1:9080
            tls:
              mode: SIMPLE
              serverCertificate: /etc/certs/cert.pem
              privateKey: /etc/certs/key.pem
              minProtocolVersion: TLSV1_2
            connectionPool:
              tcp:
                idleTimeout: 30s
          egress:
          - port:
              number: 0
              protocol: HTTP
              name: uds
            bind: unix:///var/run/egress.sock
            captureMode: DEFAULT
            hosts: ["prod/*"]
          - captureMode: IPTABLES
            hosts: ["istio-system/*", "./*"]
          inboundConnectionPool:
            tcp:
              maxConnections: 500
          outboundTrafficPolicy:
            mode: ALLOW_ANY
            egressProxy:
              host: egress.example.com
              subset: v1
              port:
                number: 3128
        """;

    [Fact]
    public void Bind_EveryField_RoundTripsIntoRecords()
    {
        var outcome = Validate.Yaml(EveryField);

        Assert.Empty(outcome.Diagnostics.Select(d => d.ToString()));
        var spec = Assert.IsType<Sidecar>(Assert.Single(outcome.Resources).Spec);
        Assert.Equal(Expected, spec);
    }

    [Fact]
    public void Bind_DeprecatedTargetPort_Binds()
    {
        var spec = Assert.IsType<Sidecar>(Assert.Single(Validate.Yaml("""
            apiVersion: networking.istio.io/v1alpha3
            kind: Sidecar
            metadata:
              name: s
            spec:
              egress:
              - port:
                  number: 80
                  target_port: 8080
                hosts: ["*/*"]
            """).Resources).Spec);

        Assert.Equal(8080u, spec.Egress[0].Port!.TargetPort);
    }

    [Fact]
    public void Bind_UnknownCaptureMode_ListsTheProtoNames()
    {
        var errors = Validate.Errors("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata:
              name: s
            spec:
              egress:
              - captureMode: TPROXY
                hosts: ["*/*"]
            """);

        Assert.Equal(["test.yaml:7: Sidecar default/s: spec.egress[0].captureMode: unknown value \"TPROXY\", expected one of: DEFAULT, IPTABLES, NONE"], errors);
    }

    private static Sidecar Expected => new()
    {
        WorkloadSelector = new WorkloadSelector { Labels = new ValueMap<string, string>([KeyValuePair.Create("app", "ratings")]) },
        Ingress = ValueList.Of(new IstioIngressListener
        {
            Port = new SidecarPort { Number = 9443, Protocol = "HTTPS", Name = "https-ratings" },
            Bind = "172.16.1.32",
            CaptureMode = CaptureMode.None,
            DefaultEndpoint = "127.0.0.1:9080",
            Tls = new ServerTlsSettings
            {
                Mode = ServerTlsMode.Simple,
                ServerCertificate = "/etc/certs/cert.pem",
                PrivateKey = "/etc/certs/key.pem",
                MinProtocolVersion = TlsProtocol.Tlsv12,
            },
            ConnectionPool = new ConnectionPoolSettings { Tcp = new TcpConnectionPoolSettings { IdleTimeout = TimeSpan.FromSeconds(30) } },
        }),
        Egress = ValueList.Of(
            new IstioEgressListener
            {
                Port = new SidecarPort { Number = 0, Protocol = "HTTP", Name = "uds" },
                Bind = "unix:///var/run/egress.sock",
                CaptureMode = CaptureMode.Default,
                Hosts = ValueList.Of("prod/*"),
            },
            new IstioEgressListener { CaptureMode = CaptureMode.Iptables, Hosts = ValueList.Of("istio-system/*", "./*") }),
        InboundConnectionPool = new ConnectionPoolSettings { Tcp = new TcpConnectionPoolSettings { MaxConnections = 500 } },
        OutboundTrafficPolicy = new OutboundTrafficPolicy
        {
            Mode = OutboundTrafficPolicyMode.AllowAny,
            EgressProxy = new Destination { Host = "egress.example.com", Subset = "v1", Port = new PortSelector { Number = 3128 } },
        },
    };
}
