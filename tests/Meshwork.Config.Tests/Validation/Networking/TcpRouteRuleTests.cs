using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TcpRouteRuleTests
{
    [Fact]
    public void Check_MongoExampleFromIstioDocs_Accepted()
    {
        Valid("""
            hosts: [mongo.prod.svc.cluster.local]
            tcp:
            - match:
              - port: 27017
                destinationSubnets: [10.1.0.0/16, 2001:db8::/32, 192.168.1.7, 10.0.0.1/8]
                sourceLabels: {app: reporting}
              route:
              - destination:
                  host: mongo.backup.svc.cluster.local
                  port: {number: 5555}
            """);
    }

    [Fact]
    public void Check_BadMatchAndNoRoute_Rejected()
    {
        Assert.Equal(
            [
                Error(8, "spec.tcp[0]: TCP route is required: add a route with at least one destination"),
                Error(9, "spec.tcp[0].match[0].destinationSubnets[0]: not-a-subnet is not a valid IP"),
                Error(10, "spec.tcp[0].match[0].port: port number 70000 must be in the range 1..65535"),
            ],
            Errors("hosts: [db.example.com]\ntcp:\n- match:\n  - destinationSubnets: [not-a-subnet]\n    port: 70000"));
    }
}
