using Meshwork.Config.Binding;
using Meshwork.Config.Reading;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Binding;

public class SpecBinderTests
{
    public enum Policy
    {
        Unspecified = 0,
        LeastRequest = 1,
        [WireName("TLSV1_2")]
        Tls12 = 2,
    }

    public sealed record Inner
    {
        [OneOf("match")]
        public string? Exact { get; init; }

        [OneOf("match")]
        public string? Prefix { get; init; }
    }

    public sealed record Sample
    {
        public string Name { get; init; } = string.Empty;

        public int Weight { get; init; }

        public uint Port { get; init; }

        public long Big { get; init; }

        public double Ratio { get; init; }

        public bool Enabled { get; init; }

        public bool? Maybe { get; init; }

        public TimeSpan? Timeout { get; init; }

        public Policy Mode { get; init; }

        public Inner? Match { get; init; }

        public ValueList<string> Hosts { get; init; }

        public ValueMap<string, string> Labels { get; init; }

        public ValueMap<uint, Inner> Ports { get; init; }

        public ValueList<byte> Body { get; init; }

        public uint Http1MaxPendingRequests { get; init; }
    }

    private static (Sample? Value, List<string> Issues) Bind(string yaml)
    {
        var root = YamlReader.Read(yaml).Documents[0].Root!;
        var binder = new SpecBinder(new LineMap());
        var value = binder.Bind<Sample>(root, "spec");
        return (value, binder.Issues.Select(i => $"{i.Line}: {i.Path}: {i.Message}").ToList());
    }

    [Fact]
    public void Bind_EveryKindOfField_ReadsProtojsonForms()
    {
        var (value, issues) = Bind("""
            name: shop
            weight: -5
            port: 8080
            big: 9000000000
            ratio: 12
            enabled: true
            maybe: false
            timeout: 1.5s
            mode: LEAST_REQUEST
            match: {prefix: /api}
            hosts: [a, b]
            labels: {app: shop, version: v1}
            ports:
              9080: {exact: x}
            body: aGVsbG8=
            http1_max_pending_requests: 3
            """);

        Assert.Empty(issues);
        Assert.Equal(new Sample
        {
            Name = "shop",
            Weight = -5,
            Port = 8080,
            Big = 9_000_000_000,
            Ratio = 12,
            Enabled = true,
            Maybe = false,
            Timeout = TimeSpan.FromMilliseconds(1500),
            Mode = Policy.LeastRequest,
            Match = new Inner { Prefix = "/api" },
            Hosts = ValueList.Of("a", "b"),
            Labels = ValueMap.Of(("app", "shop"), ("version", "v1")),
            Ports = new ValueMap<uint, Inner>([KeyValuePair.Create(9080u, new Inner { Exact = "x" })]),
            Body = "hello"u8.ToArray(),
            Http1MaxPendingRequests = 3,
        }, value);
    }

    [Fact]
    public void Bind_EnumByNumberAndWireName_IsAccepted()
    {
        Assert.Equal(Policy.LeastRequest, Bind("mode: 1").Value!.Mode);
        Assert.Equal(Policy.Tls12, Bind("mode: TLSV1_2").Value!.Mode);
    }

    [Theory]
    [InlineData("bogus: 1", "1: spec.bogus: unknown field \"bogus\", expected one of: name, weight, port, big, ratio, enabled, maybe, timeout, mode, match, hosts, labels, ports, body, http1MaxPendingRequests")]
    [InlineData("name: 80", "1: spec.name: expected a string, got an integer 80 (quote it: \"80\")")]
    [InlineData("name: [a]", "1: spec.name: expected a string, got a list")]
    [InlineData("weight: \"5\"", "1: spec.weight: expected an integer, got a string \"5\"")]
    [InlineData("weight: 1.5", "1: spec.weight: expected an integer, got a number 1.5")]
    [InlineData("weight: 3000000000", "1: spec.weight: expected an integer between -2147483648 and 2147483647, got 3000000000")]
    [InlineData("port: -1", "1: spec.port: expected a non-negative integer between 0 and 4294967295, got -1")]
    [InlineData("enabled: 1", "1: spec.enabled: expected a boolean, got an integer 1")]
    [InlineData("timeout: 1.5x", "1: spec.timeout: expected a duration such as 1.5s or 100ms, got a string 1.5x")]
    [InlineData("timeout: 10", "1: spec.timeout: expected a duration such as 1.5s or 100ms, got an integer 10")]
    [InlineData("mode: ROUND", "1: spec.mode: unknown value \"ROUND\", expected one of: UNSPECIFIED, LEAST_REQUEST, TLSV1_2")]
    [InlineData("mode: 7", "1: spec.mode: unknown value \"7\", expected one of: UNSPECIFIED, LEAST_REQUEST, TLSV1_2")]
    [InlineData("match: {exact: a, prefix: b}", "1: spec.match.prefix: only one of exact, prefix may be set, got exact and prefix")]
    [InlineData("hosts: a", "1: spec.hosts: expected a list, got a string a")]
    [InlineData("hosts: [a, ~]", "1: spec.hosts[1]: list items must not be null")]
    [InlineData("labels: [a]", "1: spec.labels: expected a mapping, got a list")]
    [InlineData("ports: {http: {exact: a}}", "1: spec.ports[http]: map key \"http\" must be a port number")]
    [InlineData("body: '***'", "1: spec.body: expected base64-encoded bytes, got a string \"***\"")]
    [InlineData("name: a\nname: b", "2: spec.name: duplicate field \"name\"")]
    [InlineData("labels: {a: x, a: y}", "1: spec.labels[a]: duplicate key \"a\"")]
    public void Bind_BadInput_ReportsPathLineAndExpectation(string yaml, string expected)
    {
        Assert.Equal([expected], Bind(yaml).Issues);
    }

    [Fact]
    public void Bind_NullValues_AreTreatedAsUnset()
    {
        var (value, issues) = Bind("name: ~\nmatch: null\nhosts:\n");

        Assert.Empty(issues);
        Assert.Equal(new Sample(), value);
    }

    [Fact]
    public void Bind_SeveralProblems_AreAllReported()
    {
        var (_, issues) = Bind("name: 1\nweight: x\nbogus: 2\n");

        Assert.Equal(3, issues.Count);
    }

    [Fact]
    public void Bind_RecordsLinesOfFields()
    {
        var root = YamlReader.Read("name: a\nhosts:\n- x\n- y\n").Documents[0].Root!;
        var lines = new LineMap();
        new SpecBinder(lines).Bind<Sample>(root, "spec");

        Assert.Equal(4, lines.LineOf("spec.hosts[1]"));
        Assert.Equal(2, lines.LineOf("spec.hosts"));
        Assert.Equal(2, lines.LineOf("spec.hosts[7]"));
        Assert.True(lines.Contains("spec.name"));
        Assert.False(lines.Contains("spec.weight"));
    }

    [Theory]
    [InlineData("100ms", 100 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1.5s", 1500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1h30m", 90 * TimeSpan.TicksPerMinute)]
    [InlineData("3m", 3 * TimeSpan.TicksPerMinute)]
    [InlineData("-2s", -2 * TimeSpan.TicksPerSecond)]
    [InlineData("0", 0)]
    [InlineData("250us", 250 * TimeSpan.TicksPerMicrosecond)]
    public void GoDuration_Parses(string text, long ticks)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(ticks, value.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("10")]
    [InlineData("1.5x")]
    [InlineData("1s2")]
    [InlineData("--1s")]
    public void GoDuration_RejectsMalformed(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Theory]
    [InlineData(1500, "1.5s")]
    [InlineData(100, "100ms")]
    [InlineData(5_400_000, "1h30m0s")]
    [InlineData(0, "0s")]
    public void GoDuration_FormatsAsGo(long millis, string text) => Assert.Equal(text, GoDuration.Format(TimeSpan.FromMilliseconds(millis)));
}
