namespace Meshwork.Ctl.Tests;

/// <summary>The same contract seen from outside: a real meshctl process, its exit code and output.</summary>
public class MeshctlProcessTests
{
    [Fact]
    public async Task Validate_BookinfoSamples_ExitsZeroWithOk()
    {
        var dir = Path.Combine(MeshctlProcess.Shared, "istio-samples", "bookinfo", "networking");

        var (exit, stdout, stderr) = await MeshctlProcess.RunAsync("validate", "-f", dir);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Matches(@"^OK: \d+ resources in 21 files$", stdout.Trim().Split('\n')[^1]);
    }

    [Fact]
    public async Task Validate_BadFile_ExitsOneWithLocatedErrors()
    {
        var file = Path.Combine(Path.GetTempPath(), $"meshctl-bad-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n  servers: 5\n");
        try
        {
            var (exit, stdout, _) = await MeshctlProcess.RunAsync("validate", "-f", file);

            Assert.Equal(1, exit);
            Assert.Equal($"{file}:6: Gateway default/gw: spec.servers: expected a list, got an integer 5", stdout.Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task NoArguments_ExitsTwoWithOneLine()
    {
        var (exit, _, stderr) = await MeshctlProcess.RunAsync();

        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Help_DescribesValidate()
    {
        var (exit, stdout, _) = await MeshctlProcess.RunAsync("validate", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("-f, --filename", stdout);
    }
}
