using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class DestinationRuleSubsetRuleTests
{
    [Fact]
    public void Check_SubsetWithoutLabels_Accepted() => Validate.Valid(Header + """
          host: egress.istio-system.svc.cluster.local
          subsets:
          - name: cnn
            trafficPolicy:
              tls:
                mode: SIMPLE
                sni: edition.cnn.com
        """);

    [Fact]
    public void Check_DuplicateNames_Rejected() =>
        Assert.Equal([At(10, "spec.subsets[1].name: duplicate subset name \"v1\" (also subsets[0])")], Validate.Errors(Header + """
              host: reviews
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v1
                labels: {version: v2}
            """));

    [Fact]
    public void Check_EmptyName_Rejected() =>
        Assert.Equal([At(8, "spec.subsets[0].name: subset name cannot be empty")], Validate.Errors(Header + """
              host: reviews
              subsets:
              - labels: {version: v1}
            """));

    [Fact]
    public void Check_NameNotALabel_Rejected() =>
        Assert.Equal([At(8, "spec.subsets[0].name: subset name is invalid: \"v1.0\" is not a DNS-1123 label")], Validate.Errors(Header + """
              host: reviews
              subsets:
              - name: v1.0
            """));

    [Fact]
    public void Check_InvalidLabels_Rejected() =>
        Assert.Equal(
            [
                At(10, "spec.subsets[0].labels[bad key]: invalid tag key: \"bad key\""),
                At(11, "spec.subsets[0].labels[version]: invalid tag value: \"v1!\""),
            ],
            Validate.Errors(Header + """
                  host: reviews
                  subsets:
                  - name: v1
                    labels:
                      "bad key": x
                      version: v1!
                """));
}
