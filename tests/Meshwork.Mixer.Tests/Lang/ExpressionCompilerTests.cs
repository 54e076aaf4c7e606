using System.Net;
using Meshwork.Mixer.Attributes;
using Meshwork.Mixer.Lang;
using AttributeType = Meshwork.Config.Mixer.AttributeValueType;

namespace Meshwork.Mixer.Tests.Lang;

public class ExpressionCompilerTests
{
    private static readonly ExpressionCompiler Compiler = new(new Dictionary<string, AttributeType>
    {
        ["source.labels"] = AttributeType.StringMap,
        ["destination.labels"] = AttributeType.StringMap,
        ["request.headers"] = AttributeType.StringMap,
        ["source.ip"] = AttributeType.IpAddress,
        ["request.path"] = AttributeType.String,
        ["request.size"] = AttributeType.Int64,
        ["response.duration"] = AttributeType.Duration,
        ["destination.service.name"] = AttributeType.String,
        ["source.principal"] = AttributeType.String,
    });

    private static AttributeBag Bag() => new AttributeBag()
        .Set("source.labels", new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v3" })
        .Set("destination.labels", new Dictionary<string, string> { ["app"] = "ratings" })
        .Set("request.headers", new Dictionary<string, string> { ["x-user"] = "jason" })
        .Set("source.ip", IPAddress.Parse("10.57.1.2"))
        .Set("request.path", "/api/v1/products")
        .Set("request.size", 1024L)
        .Set("response.duration", TimeSpan.FromMilliseconds(25));

    private static object? Eval(string text) => Compiler.Compile(text).Evaluate(new AttributeReader(Bag()));

    [Theory]
    [InlineData("destination.labels[\"app\"] == \"ratings\" && source.labels[\"app\"]==\"reviews\" && source.labels[\"version\"] == \"v3\"", true)]
    [InlineData("source.labels[\"version\"] != \"v3\" || request.size > 1000", true)]
    [InlineData("!(request.size < 2000)", false)]
    [InlineData("(request.headers[\"x-none\"] | \"unknown\") == \"unknown\"", true)]
    [InlineData("request.headers[\"x-user\"] | \"unknown\" == \"jason\"", true)]
    [InlineData("match(request.path, \"/api/*\")", true)]
    [InlineData("match(request.path, \"*products\")", true)]
    [InlineData("request.path.startsWith(\"/api\") && request.path.endsWith(\"products\")", true)]
    [InlineData("\"^/api/v[0-9]+/\".matches(request.path)", true)]
    [InlineData("source.ip == ip(\"10.57.1.2\")", true)]
    [InlineData("ip_equal(source.ip, ip(\"10.57.1.3\"))", false)]
    [InlineData("response.duration > \"10ms\" && response.duration < \"1s\"", true)]
    [InlineData("conditional(request.size > 10, \"big\", \"small\") == \"big\"", true)]
    [InlineData("size(emptyStringMap()) == 0", true)]
    [InlineData("toLower(\"ABC\") == \"abc\" && reverse(\"abc\") == \"cba\"", true)]
    [InlineData("dnsName(\"Ratings.Default.svc\") == dnsName(\"ratings.default.svc\")", true)]
    public void Compile_SampleExpressions_EvaluateAsIstio(string text, bool expected) =>
        Assert.Equal(expected, Eval(text));

    [Fact]
    public void Evaluate_AbsentAttributeWithoutDefault_IsNullSoMatchFails()
    {
        var expr = Compiler.Compile("source.principal == \"cluster.local/ns/default/sa/bookinfo-productpage\"");
        Assert.Null(expr.Evaluate(new AttributeReader(Bag())));
        Assert.False(expr.Matches(new AttributeReader(Bag())));
    }

    [Fact]
    public void Evaluate_Default_ChainsThroughAbsentValues()
    {
        var expr = Compiler.Compile("destination.labels[\"version\"] | destination.service.name | \"unknown\"");
        Assert.Equal("unknown", expr.Evaluate(new AttributeReader(Bag())));
    }

    [Fact]
    public void Evaluate_WithRecorder_RecordsMapKeysAndAbsence()
    {
        var refs = new HashSet<AttributeReference>();
        Compiler.Compile("source.labels[\"app\"] == \"reviews\" && source.principal == \"x\"").Evaluate(new AttributeReader(Bag(), refs));
        Assert.Contains(new AttributeReference("source.labels", "app", true), refs);
        Assert.Contains(new AttributeReference("source.principal", null, false), refs);
        Assert.DoesNotContain(refs, r => r.Name == "request.path");
    }

    [Theory]
    [InlineData("destination.lables[\"app\"] == \"x\"", "unknown attribute destination.lables")]
    [InlineData("request.size == \"10\"", "compares INT64 with STRING")]
    [InlineData("request.path > \"a\"", "needs INT64, DOUBLE, DURATION or TIMESTAMP")]
    [InlineData("request.path[\"a\"]", "needs a STRING_MAP")]
    [InlineData("ip(\"not-an-ip\")", "is not a valid IP_ADDRESS")]
    [InlineData("nosuch(request.path)", "unknown function nosuch")]
    [InlineData("request.path ==", "unexpected end of expression")]
    [InlineData("\"[\".matches(request.path)", "invalid regular expression")]
    public void Compile_BadExpression_ThrowsClearError(string text, string expected)
    {
        var e = Assert.Throws<ExpressionException>(() => Compiler.Compile(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Compile_ExpectedBoolButString_Throws()
    {
        var e = Assert.Throws<ExpressionException>(() => Compiler.Compile("request.path", AttributeType.Bool));
        Assert.Contains("has type STRING, expected BOOL", e.Message);
    }
}
