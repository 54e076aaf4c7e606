using System.Diagnostics;

namespace Meshwork.Ctl.Workloads;

/// <summary>How to start a program: the file to execute and the arguments that come before the program's own.</summary>
internal sealed record ProgramCommand(string FileName, IReadOnlyList<string> Prefix)
{
    public ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(FileName) { UseShellExecute = false };
        foreach (var arg in Prefix.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    public override string ToString() => string.Join(' ', Prefix.Prepend(FileName));
}

/// <summary>
/// Finds Meshwork's own programs (mesh-proxy, meshd) for meshctl to start, so that
/// <c>dotnet run --project src/Meshwork.Ctl</c> works in a fresh clone: an explicit path
/// (flag or environment variable) first; then beside meshctl (a published install, or a test's
/// output, which holds every program); then the repository's build output of the program's project,
/// the configuration meshctl runs in first; and if none is built yet, <c>dotnet build</c> of that
/// project, once. A .dll is started with <c>dotnet</c>, anything else as a native binary.
/// </summary>
internal static class MeshPrograms
{
    public static ProgramCommand Proxy(string? explicitPath, TextWriter log) =>
        Find("mesh-proxy", "src/Meshwork.Proxy", explicitPath ?? Environment.GetEnvironmentVariable("MESH_PROXY_PATH"), log);

    /// <summary>Finds <paramref name="program"/> (an assembly name), built from <paramref name="project"/> (its directory, relative to the repository root).</summary>
    public static ProgramCommand Find(string program, string project, string? explicitPath, TextWriter log)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath) ? Command(Path.GetFullPath(explicitPath))
                : throw new FileNotFoundException($"{program} not found at {explicitPath}");
        }

        var beside = Built(AppContext.BaseDirectory, program);
        if (beside != null)
        {
            return beside;
        }

        var root = RepositoryRoot();
        if (root == null)
        {
            throw new FileNotFoundException($"{program} not found beside meshctl ({AppContext.BaseDirectory}); give its path with --proxy-path or MESH_PROXY_PATH");
        }

        var configuration = OwnConfiguration();
        var output = Path.Combine(root, project, "bin");
        var found = Built(Path.Combine(output, configuration, "net10.0"), program)
            ?? Built(Path.Combine(output, configuration == "Release" ? "Debug" : "Release", "net10.0"), program);
        if (found != null)
        {
            return found;
        }

        log.WriteLine($"meshctl: building {program} (first use): dotnet build {project} -c {configuration}");
        var build = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { "build", Path.Combine(root, project), "-c", configuration, "-nologo", "-v", "q" })
        {
            build.ArgumentList.Add(arg);
        }

        using var process = Process.Start(build)!;
        var buildLog = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 && Built(Path.Combine(output, configuration, "net10.0"), program) is { } built ? built
            : throw new FileNotFoundException($"building {program} failed (exit {process.ExitCode}):\n{buildLog}");
    }

    private static ProgramCommand? Built(string directory, string program)
    {
        var native = Path.Combine(directory, OperatingSystem.IsWindows() ? program + ".exe" : program);
        var dll = Path.Combine(directory, program + ".dll");
        // The apphost beside a .dll is a launcher for it; prefer `dotnet X.dll`, which needs no exec bit.
        return File.Exists(dll) ? new ProgramCommand("dotnet", [dll])
            : File.Exists(native) ? new ProgramCommand(native, [])
            : null;
    }

    private static ProgramCommand Command(string path) =>
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? new ProgramCommand("dotnet", [path]) : new ProgramCommand(path, []);

    /// <summary>Debug or Release, read from meshctl's own output path (…/bin/Release/net10.0/).</summary>
    private static string OwnConfiguration() =>
        AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The directory with Meshwork.sln above meshctl's own location, or above the working directory.</summary>
    public static string? RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Meshwork.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
