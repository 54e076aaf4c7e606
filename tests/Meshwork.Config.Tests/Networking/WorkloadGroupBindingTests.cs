using Meshwork.Config.Loading;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Networking;

public class WorkloadGroupBindingTests
{
    [Fact]
    public void Bind_EveryField_RoundTripsIntoRecords()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadGroup
            metadata:
              name: reviews
              namespace: bookinfo
            spec:
              metadata:
                labels:
                  app.kubernetes.io/name: reviews
                  app.kubernetes.io/version: "1.3.4"
                annotations:
                  example.com/owner: team-a
              template:
                ports:
                  grpc: 3550
                  http: 8080
                serviceAccount: default
                network: vm-net
                locality: eu/west
                weight: 2
              probe:
                initialDelaySeconds: 5
                timeoutSeconds: 3
                periodSeconds: 4
                successThreshold: 3
                failureThreshold: 3
                httpGet:
                  path: /foo/bar
                  host: 127.0.0.1
                  port: 3100
                  scheme: HTTPS
                  httpHeaders:
                  - name: Lit-Header
                    value: Im-The-Best
            """;
        var read = ConfigReader.ReadText(yaml, "wg.yaml");

        Assert.Empty(read.Diagnostics);
        var expected = new WorkloadGroup
        {
            Metadata = new WorkloadGroupObjectMeta
            {
                Labels = ValueMap.Of(("app.kubernetes.io/name", "reviews"), ("app.kubernetes.io/version", "1.3.4")),
                Annotations = ValueMap.Of(("example.com/owner", "team-a")),
            },
            Template = new WorkloadEntry
            {
                Ports = ValueMap.Of(("grpc", 3550u), ("http", 8080u)),
                ServiceAccount = "default",
                Network = "vm-net",
                Locality = "eu/west",
                Weight = 2,
            },
            Probe = new ReadinessProbe
            {
                InitialDelaySeconds = 5,
                TimeoutSeconds = 3,
                PeriodSeconds = 4,
                SuccessThreshold = 3,
                FailureThreshold = 3,
                HttpGet = new HttpHealthCheckConfig
                {
                    Path = "/foo/bar",
                    Host = "127.0.0.1",
                    Port = 3100,
                    Scheme = "HTTPS",
                    HttpHeaders = ValueList.Of(new ProbeHttpHeader { Name = "Lit-Header", Value = "Im-The-Best" }),
                },
            },
        };
        Assert.Equal(expected, Assert.Single(read.Resources).SpecAs<WorkloadGroup>());
    }

    [Fact]
    public void Bind_OtherProbeMethods_BindEachMessage()
    {
        static ReadinessProbe Probe(string method) =>
            Assert.Single(ConfigReader.ReadText($"apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\nmetadata: {{name: g}}\nspec:\n  template: {{}}\n  probe: {{{method}}}\n", "wg.yaml").Resources)
                .SpecAs<WorkloadGroup>().Probe!;

        Assert.Equal(new TcpHealthCheckConfig { Host = "localhost", Port = 3306 }, Probe("tcpSocket: {host: localhost, port: 3306}").TcpSocket);
        Assert.Equal(new ExecHealthCheckConfig { Command = ValueList.Of("cat", "/tmp/ready") }, Probe("exec: {command: [cat, /tmp/ready]}").Exec);
        Assert.Equal(new GrpcHealthCheckConfig { Port = 9090, Service = "health" }, Probe("grpc: {port: 9090, service: health}").Grpc);
    }

    [Fact]
    public void Bind_TwoProbeMethods_ReportsOneOfConflict()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadGroup
            metadata: {name: g}
            spec:
              template: {}
              probe:
                tcpSocket: {port: 80}
                exec: {command: [true]}
            """;
        Assert.Equal(
            ["wg.yaml:8: WorkloadGroup default/g: spec.probe.exec: only one of httpGet, tcpSocket, exec, grpc may be set, got tcpSocket and exec"],
            ConfigReader.ReadText(yaml, "wg.yaml").Diagnostics.Select(d => d.ToString()));
    }
}
