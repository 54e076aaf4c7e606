namespace Meshwork.Ctl;

/// <summary>A file to read, and the name to print for it (the path as the user wrote it, joined with the path inside a directory).</summary>
internal sealed record InputFile(string Path, string DisplayName);

/// <summary>The files named by <c>-f</c> arguments, in a stable order, or the reason they cannot be read.</summary>
internal sealed record InputSet(IReadOnlyList<InputFile> Files, string? Problem)
{
}

internal static class InputFiles
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static InputSet Expand(IReadOnlyList<string> paths)
    {
        var files = new List<InputFile>();
        foreach (var path in paths)
        {
            if (path == "-")
            {
                files.Add(new InputFile("-", "<stdin>"));
                continue;
            }

            if (File.Exists(path))
            {
                files.Add(new InputFile(path, path));
                continue;
            }

            if (!Directory.Exists(path))
            {
                return new InputSet([], $"cannot read \"{path}\": no such file or directory");
            }

            List<string> found;
            try
            {
                found = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false })
                    .Where(f => Extensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal)
                    .ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new InputSet([], $"cannot read directory \"{path}\": {e.Message}");
            }

            if (found.Count == 0)
            {
                return new InputSet([], $"no .yaml, .yml or .json files in \"{path}\"");
            }

            files.AddRange(found.Select(f => new InputFile(f, System.IO.Path.Join(path, System.IO.Path.GetRelativePath(path, f)))));
        }

        return new InputSet(files, null);
    }
}
