using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Telemetry;

public sealed class AccessLogFilterRuleTests
{
    private static string Filter(string expression) => $"""
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata:
          name: filter
        spec:
          accessLogging:
          - providers:
            - name: envoy
            filter:
              expression: '{expression}'
        """;

    [Theory]
    [InlineData("true")]
    [InlineData("response.code >= 400")]
    [InlineData("response.code >= 400 || xds.cluster_name == \"BlackHoleCluster\"")]
    [InlineData("has(request.headers.x_debug) && request.headers[\"x-debug\"] == \"1\"")]
    public void Check_ValidExpression_IsValid(string expression) => Validate.Valid(Filter(expression));

    [Theory]
    [InlineData("", "syntax error at 1:1: unexpected end of expression")]
    [InlineData("response.code >=", "syntax error at 1:17: unexpected end of expression")]
    [InlineData("response.code = 400", "syntax error at 1:15: token recognition error at: '='")]
    [InlineData("has(response)", "syntax error at 1:1: invalid argument to has() macro")]
    public void Check_InvalidExpression_Reports(string expression, string message)
    {
        var errors = Validate.Errors(Filter(expression));

        Assert.Equal([$"test.yaml:10: Telemetry default/filter: spec.accessLogging[0].filter.expression: must be a valid CEL expression, {message}"], errors);
    }

    [Fact]
    public void Check_FilterWithoutExpression_Reports()
    {
        var errors = Validate.Errors("""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata:
              name: filter
            spec:
              accessLogging:
              - filter: {}
            """);

        Assert.Equal(["test.yaml:7: Telemetry default/filter: spec.accessLogging[0].filter.expression: must be a valid CEL expression, syntax error at 1:1: unexpected end of expression"], errors);
    }
}
