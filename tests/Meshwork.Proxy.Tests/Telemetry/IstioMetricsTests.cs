using System.Text;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Tests.Telemetry;

public sealed class IstioMetricsTests
{
    private static readonly PeerMetadata Productpage = new("productpage-v1", "default", new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, PeerMetadata.DefaultCluster);
    private static readonly PeerMetadata Details = new("details-v1", "default", new Dictionary<string, string> { ["app"] = "details", ["version"] = "v1", ["service.istio.io/canonical-name"] = "details-svc" }, PeerMetadata.DefaultCluster);
    private static readonly DestinationService DetailsService = new("details.default.svc.cluster.local", "details", "default");

    [Fact]
    public void Inbound_MutualTls_FillsBothSidesInIstiosOrder()
    {
        var facts = new RequestFacts("http", 200, string.Empty, "-", MutualTls: true, PeerPrincipal: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage");

        var labels = RequestLabels.Inbound(Details, "spiffe://cluster.local/ns/default/sa/bookinfo-details", Productpage, DetailsService, facts);

        var text = new StringBuilder();
        labels.WriteTo(text);
        Assert.Equal(
            "reporter=\"destination\",source_workload=\"productpage-v1\",source_canonical_service=\"productpage\",source_canonical_revision=\"v1\","
            + "source_workload_namespace=\"default\",source_principal=\"spiffe://cluster.local/ns/default/sa/bookinfo-productpage\",source_app=\"productpage\","
            + "source_version=\"v1\",source_cluster=\"Kubernetes\",destination_workload=\"details-v1\",destination_workload_namespace=\"default\","
            + "destination_principal=\"spiffe://cluster.local/ns/default/sa/bookinfo-details\",destination_app=\"details\",destination_version=\"v1\","
            + "destination_service=\"details.default.svc.cluster.local\",destination_canonical_service=\"details-svc\",destination_canonical_revision=\"v1\","
            + "destination_service_name=\"details\",destination_service_namespace=\"default\",destination_cluster=\"Kubernetes\","
            + "connection_security_policy=\"mutual_tls\",request_protocol=\"http\",response_code=\"200\",grpc_response_status=\"\",response_flags=\"-\"",
            text.ToString());
    }

    [Fact]
    public void Outbound_PlaintextWithoutPeerMetadata_PrincipalsAndPeerUnknown()
    {
        var facts = new RequestFacts("grpc", 503, "14", "UF", MutualTls: false, PeerPrincipal: null);

        var labels = RequestLabels.Outbound(Productpage, "spiffe://cluster.local/ns/default/sa/bookinfo-productpage", peer: null, DetailsService, facts);

        var byName = StandardLabels.Names.Zip(labels.Values).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal("source", byName["reporter"]);
        Assert.Equal("unknown", byName["source_principal"]);
        Assert.Equal("unknown", byName["destination_workload"]);
        Assert.Equal("details.default.svc.cluster.local", byName["destination_service"]);
        Assert.Equal("unknown", byName["connection_security_policy"]);
        Assert.Equal(("grpc", "503", "14", "UF"), (byName["request_protocol"], byName["response_code"], byName["grpc_response_status"], byName["response_flags"]));
    }

    [Fact]
    public void WritePrometheus_OneRequest_CounterAndCumulativeHistograms()
    {
        var metrics = new IstioMetrics();
        var labels = RequestLabels.Inbound(Details, "p", Productpage, DetailsService, new RequestFacts("http", 200, string.Empty, "-", false, null));

        metrics.RecordRequest(labels, durationMs: 7.5, requestBytes: 0, responseBytes: 1024);
        metrics.RecordRequest(labels, durationMs: 0.2, requestBytes: 10, responseBytes: 1024);

        var text = new StringBuilder();
        metrics.WritePrometheus(text);
        var lines = text.ToString().Split('\n');
        Assert.Equal(2, metrics.RequestCount(labels));
        Assert.Contains("# TYPE istio_requests_total counter", lines);
        Assert.Single(lines, l => l.StartsWith("istio_requests_total{reporter=\"destination\"", StringComparison.Ordinal) && l.EndsWith("} 2", StringComparison.Ordinal));
        string Bucket(string metric, string le) => lines.Single(l => l.StartsWith(metric + "_bucket{", StringComparison.Ordinal) && l.Contains($",le=\"{le}\"}}", StringComparison.Ordinal));
        Assert.EndsWith(" 1", Bucket("istio_request_duration_milliseconds", "0.5"));
        Assert.EndsWith(" 1", Bucket("istio_request_duration_milliseconds", "5"));
        Assert.EndsWith(" 2", Bucket("istio_request_duration_milliseconds", "10"));
        Assert.EndsWith(" 2", Bucket("istio_request_duration_milliseconds", "+Inf"));
        Assert.EndsWith(" 0", Bucket("istio_response_bytes", "1000"));
        Assert.EndsWith(" 2", Bucket("istio_response_bytes", "2500"));
        Assert.Single(lines, l => l.StartsWith("istio_request_duration_milliseconds_sum{", StringComparison.Ordinal) && l.EndsWith("} 7.7", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("istio_request_bytes_count{", StringComparison.Ordinal) && l.EndsWith("} 2", StringComparison.Ordinal));
    }

    [Fact]
    public void WritePrometheus_TcpConnection_FourCountersWithoutRequestLabels()
    {
        var metrics = new IstioMetrics();
        var labels = new StandardLabels(RequestLabels.Inbound(Details, "p", Productpage, DetailsService, new RequestFacts("tcp", 0, string.Empty, "-", false, null)).Values[..StandardLabels.TcpCount]);

        metrics.ConnectionOpened(labels);
        metrics.ConnectionClosed(labels, sent: 300, received: 120);

        var text = metrics.Render();
        Assert.Contains("istio_tcp_connections_opened_total{", text);
        Assert.Contains("connection_security_policy=\"none\"} 1\n", text);
        Assert.Contains("} 300\n", text);
        Assert.Contains("} 120\n", text);
        Assert.DoesNotContain("response_code", text);
    }

    [Fact]
    public void Labels_ValuesWithQuotes_AreEscaped()
    {
        var values = Enumerable.Repeat("x", StandardLabels.TcpCount).ToArray();
        values[1] = "a\"b\\c";

        var text = new StringBuilder();
        new StandardLabels(values).WriteTo(text);

        Assert.Contains("source_workload=\"a\\\"b\\\\c\"", text.ToString());
    }

    [Fact]
    public void PeerMetadata_RoundTripsThroughTheHeader()
    {
        var decoded = PeerMetadata.Decode(Details.Encode());

        Assert.NotNull(decoded);
        Assert.Equal(("details-v1", "default", "Kubernetes", "details-svc", "v1"), (decoded.Workload, decoded.Namespace, decoded.Cluster, decoded.CanonicalService, decoded.CanonicalRevision));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64 !")]
    [InlineData("AAAA////")]
    public void PeerMetadata_Garbage_IsNoPeer(string? header)
    {
        Assert.Null(PeerMetadata.Decode(header));
    }

    [Fact]
    public void PeerMetadata_WithoutCanonicalLabels_FallsBackAsIstio()
    {
        var bare = new PeerMetadata("ratings-v1", "default", new Dictionary<string, string>(), PeerMetadata.DefaultCluster);

        Assert.Equal(("ratings-v1", "latest", "unknown"), (bare.CanonicalService, bare.CanonicalRevision, bare.App));
    }
}
