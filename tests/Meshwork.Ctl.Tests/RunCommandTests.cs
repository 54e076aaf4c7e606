namespace Meshwork.Ctl.Tests;

/// <summary><c>meshctl run</c>'s usage errors and help, and the Bookinfo sample's config; the life cycle is tested with a real mesh in Meshwork.Meshd.Tests (Bookinfo/).</summary>
public class RunCommandTests
{
    [Fact]
    public async Task Run_WithoutCommand_ExitsWithUsage()
    {
        var (exit, _, err) = await MeshctlProcess.RunAsync("run", "--name", "reviews-v1", "--port", "9080");

        Assert.Equal(2, exit);
        Assert.StartsWith("meshctl: ", err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("--labels", "app", "--labels: \"app\" is not k=v")]
    [InlineData("--port", "70000", "--port 70000 is not a port")]
    [InlineData("--ip", "::1", "--ip \"::1\" is not an IPv4 address")]
    public async Task Run_BadFlag_ExitsWithUsageNamingTheFlag(string flag, string value, string message)
    {
        var (exit, _, err) = await MeshctlProcess.RunAsync("run", "--name", "reviews-v1", flag, value, "--", "true");

        Assert.Equal(2, exit);
        Assert.Equal($"meshctl run: {message}", err.Trim().Split(" (")[0]);
    }

    [Fact]
    public async Task Run_Help_SaysWhereTheAppMustListen()
    {
        var (exit, output, _) = await MeshctlProcess.RunAsync("run", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("MESH_BIND_ADDRESS, PORT", output, StringComparison.Ordinal);
        Assert.Contains("HTTP_PROXY", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_BookinfoSampleConfig_IsValid()
    {
        var (exit, output, err) = await MeshctlProcess.RunAsync("validate", "-f", Path.Combine(MeshctlProcess.RepoRoot, "samples", "bookinfo", "config"));

        Assert.True(exit == 0, output + err);
        // The base files and every task step of meshctl demo (config/tasks/).
        Assert.StartsWith("OK: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" 0 resources", output, StringComparison.Ordinal);
    }
}
