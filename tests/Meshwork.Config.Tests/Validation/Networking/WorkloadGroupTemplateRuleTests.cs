using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Networking;

public class WorkloadGroupTemplateRuleTests
{
    private static string Group(string body) => $"""
        apiVersion: networking.istio.io/v1
        kind: WorkloadGroup
        metadata:
          name: reviews
          namespace: bookinfo
        spec:
        {body}
        """;

    [Fact]
    public void Check_EmptyTemplate_IsValid() => Validate.Valid(Group("  template: {}"));

    [Fact]
    public void Check_MissingTemplate_ReportsError() =>
        Assert.Equal(
            ["test.yaml:7: WorkloadGroup bookinfo/reviews: spec.template: template is required"],
            Validate.Errors(Group("  metadata:\n    labels: {app: reviews}")));

    [Fact]
    public void Check_InvalidMetadataLabel_ReportsError() =>
        // Istio's "invalid" case: labels {".": "~"}.
        Assert.Equal(
            [
                "test.yaml:10: WorkloadGroup bookinfo/reviews: spec.metadata.labels[.]: invalid labels: invalid tag key: \".\"",
                "test.yaml:10: WorkloadGroup bookinfo/reviews: spec.metadata.labels[.]: invalid labels: invalid tag value: \"~\"",
            ],
            Validate.Errors(Group("  template: {}\n  metadata:\n    labels:\n      \".\": \"~\"")));

    [Fact]
    public void Check_TemplateAddressLabelsAndBadAnnotation_Warn()
    {
        var yaml = Group("""
              metadata:
                annotations:
                  "bad key!": x
              template:
                address: 10.0.0.1
                labels: {app: reviews}
            """);
        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(
            [
                "test.yaml:9: warning: WorkloadGroup bookinfo/reviews: spec.metadata.annotations[bad key!]: invalid annotation key: \"bad key!\"",
                "test.yaml:11: warning: WorkloadGroup bookinfo/reviews: spec.template.address: address should not be set in the template: each WorkloadEntry gets its own",
                "test.yaml:12: warning: WorkloadGroup bookinfo/reviews: spec.template.labels: labels should be set in metadata.labels, not in the template",
            ],
            Validate.Warnings(yaml));
    }

    [Fact]
    public void Check_TemplatePortOutOfRange_ReportsError() =>
        Assert.Equal(
            ["test.yaml:10: WorkloadGroup bookinfo/reviews: spec.template.ports[http]: port number 0 must be in the range 1..65535"],
            Validate.Errors(Group("  template:\n    serviceAccount: reviews\n    ports:\n      http: 0")));
}
