using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Tests.Golden;

namespace Meshwork.Pilot.Tests.Generators;

/// <summary>
/// Golden cases for LDS and RDS (<c>testdata/lds-*</c>). A case may list the resource names the
/// proxy subscribes to, one per line, in <c>lds-names.txt</c> / <c>rds-names.txt</c> (proxyless gRPC
/// clients ask by name); without the file the proxy asks for everything.
/// </summary>
public class ListenerAndRouteGoldenTests
{
    public static TheoryData<string> ListenerCases() => Cases("lds.json");

    public static TheoryData<string> RouteCases() => Cases("rds.json");

    [Theory]
    [MemberData(nameof(ListenerCases))]
    public void Generate_GoldenCase_MatchesLdsJson(string name)
    {
        var golden = GoldenCase.Load(name);
        golden.Verify(new ListenerGenerator(), "lds.json", Names(golden, "lds-names.txt"));
    }

    [Theory]
    [MemberData(nameof(RouteCases))]
    public void Generate_GoldenCase_MatchesRdsJson(string name)
    {
        var golden = GoldenCase.Load(name);
        golden.Verify(new RouteGenerator(), "rds.json", Names(golden, "rds-names.txt"));
    }

    private static TheoryData<string> Cases(string file)
    {
        var data = new TheoryData<string>();
        foreach (var name in GoldenCase.Names().Where(n => n.StartsWith("lds-", StringComparison.Ordinal)))
        {
            // A new case without its expected file yet is listed too, so the first run writes it for review.
            if (File.Exists(Path.Combine(GoldenCase.TestData, name, file)) || Environment.GetEnvironmentVariable("MESHWORK_UPDATE_GOLDEN") == "1")
            {
                data.Add(name);
            }
        }

        return data;
    }

    private static HashSet<string>? Names(GoldenCase golden, string file)
    {
        var path = Path.Combine(golden.Directory, file);
        return File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal)
            : null;
    }
}
