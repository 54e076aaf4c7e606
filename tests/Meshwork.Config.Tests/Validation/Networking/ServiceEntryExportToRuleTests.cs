using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class ServiceEntryExportToRuleTests
{
    private static string Entry(string exportTo) => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: se
          namespace: egress
        spec:
          hosts: [example.com]
          ports:
          - {number: 80, name: http, protocol: HTTP}
          resolution: DNS
          exportTo: {{exportTo}}
        """;

    [Theory]
    [InlineData("[\".\"]")]
    [InlineData("[\"*\"]")]
    [InlineData("[\"~\"]")]
    [InlineData("[\".\", other-ns]")]
    public void Check_EntriesIstioAccepts_AreValid(string exportTo) => Validate.Valid(Entry(exportTo));

    [Fact]
    public void Check_DotAndOwnNamespace_ReportsDuplicate() =>
        Assert.Equal(
            ["test.yaml:11: ServiceEntry egress/se: spec.exportTo[1]: duplicate entries in exportTo: . and current namespace egress"],
            Validate.Errors(Entry("[egress, \".\"]")));

    [Fact]
    public void Check_RepeatedNamespace_ReportsDuplicate() =>
        Assert.Equal(
            ["test.yaml:11: ServiceEntry egress/se: spec.exportTo[1]: duplicate entries in exportTo for entry ns1"],
            Validate.Errors(Entry("[ns1, ns1]")));

    [Fact]
    public void Check_InvalidEntry_ReportsError() =>
        Assert.Equal(
            ["test.yaml:11: ServiceEntry egress/se: spec.exportTo[0]: invalid exportTo entry \"bad_ns\": only ., *, ~ or a namespace name (DNS-1123 label) is allowed"],
            Validate.Errors(Entry("[bad_ns]")));

    [Fact]
    public void Check_PublicWithOthers_ReportsError() =>
        Assert.Equal(
            ["test.yaml:11: ServiceEntry egress/se: spec.exportTo: cannot have both public (*) and non-public exportTo values for a resource"],
            Validate.Errors(Entry("[\"*\", ns1]")));

    [Fact]
    public void Check_NoneWithOthers_ReportsError() =>
        Assert.Equal(
            ["test.yaml:11: ServiceEntry egress/se: spec.exportTo: cannot export service entry to no one (~) and someone"],
            Validate.Errors(Entry("[\"~\", ns1]")));
}
