using System.Collections.Immutable;
using System.Security.Cryptography;
using Meshwork.Config.Diagnostics;
using Meshwork.Config.Loading;
using Meshwork.Config.Resources;
using Meshwork.Config.Validation;

namespace Meshwork.Config.Store;

/// <summary>
/// Feeds a <see cref="ConfigStore"/> from a directory of YAML/JSON files and keeps it in step as
/// files are created, changed, deleted or renamed. Events are debounced and then the directory is
/// rescanned, so a burst of edits publishes one consistent set. A file that becomes invalid is
/// reported and its last valid resources stay in force until it is fixed.
/// </summary>
public sealed class DirectorySource : IDisposable
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    private readonly string _directory;
    private readonly ConfigStore _store;
    private readonly TimeSpan _quietPeriod;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _scanLock = new(1, 1);
    private readonly object _timerGate = new();
    private Dictionary<string, FileState> _files = new(StringComparer.Ordinal);
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;
    private bool _disposed;

    public DirectorySource(string directory, ConfigStore store, TimeSpan? quietPeriod = null, TimeProvider? time = null)
    {
        _directory = Path.GetFullPath(directory);
        _store = store;
        _quietPeriod = quietPeriod ?? TimeSpan.FromMilliseconds(100);
        _time = time ?? TimeProvider.System;
        SourceName = "file://" + _directory;
    }

    public string SourceName { get; }

    /// <summary>Problems found in the last scan, by file: what the user must fix. Files that are fine have none.</summary>
    public IReadOnlyList<ConfigDiagnostic> Diagnostics { get; private set; } = [];

    /// <summary>Raised after each scan with that scan's diagnostics (empty when all files are valid).</summary>
    public event Action<IReadOnlyList<ConfigDiagnostic>>? Scanned;

    /// <summary>Number of completed scans; lets callers wait for a scan after a change.</summary>
    public long ScanCount { get; private set; }

    /// <summary>Scans once and starts watching. Throws <see cref="DirectoryNotFoundException"/> when the directory is missing.</summary>
    public async Task StartAsync()
    {
        if (!Directory.Exists(_directory))
        {
            throw new DirectoryNotFoundException($"config directory \"{_directory}\" does not exist");
        }

        _watcher = new FileSystemWatcher(_directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Created += OnEvent;
        _watcher.Changed += OnEvent;
        _watcher.Deleted += OnEvent;
        _watcher.Renamed += OnEvent;
        _watcher.Error += (_, _) => ScheduleScan(); // overflow: rescan everything
        _watcher.EnableRaisingEvents = true;
        await RescanAsync().ConfigureAwait(false);
    }

    /// <summary>Reads every file that changed since the last scan and publishes the resulting set.</summary>
    public async Task RescanAsync()
    {
        await _scanLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            var next = new Dictionary<string, FileState>(StringComparer.Ordinal);
            foreach (var path in EnumerateFiles())
            {
                next[path] = ReadFile(path, _files.GetValueOrDefault(path));
            }

            _files = next;
            var resources = new List<ConfigResource>();
            var diagnostics = new List<ConfigDiagnostic>();
            var owners = new Dictionary<ResourceKey, string>();
            foreach (var (path, state) in next.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                diagnostics.AddRange(state.Diagnostics);
                foreach (var resource in state.LastValid)
                {
                    if (owners.TryGetValue(resource.Key, out var owner))
                    {
                        diagnostics.Add(new ConfigDiagnostic(Severity.Error, Display(path), resource.Source.Line, $"duplicate resource, already defined in {Display(owner)}; this one is ignored") { Resource = resource.ToString() });
                        continue;
                    }

                    owners[resource.Key] = path;
                    resources.Add(resource);
                }
            }

            _store.ReplaceSource(SourceName, resources);
            Diagnostics = diagnostics;
            ScanCount++;
            Scanned?.Invoke(diagnostics);
        }
        finally
        {
            _scanLock.Release();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _watcher?.Dispose();
        lock (_timerGate)
        {
            _debounce?.Dispose();
        }
    }

    private void OnEvent(object sender, FileSystemEventArgs e) => ScheduleScan();

    private void ScheduleScan()
    {
        lock (_timerGate)
        {
            if (_disposed)
            {
                return;
            }

            // Each event pushes the scan back: one scan after the burst goes quiet.
            _debounce?.Dispose();
            _debounce = _time.CreateTimer(_ => _ = RescanSafelyAsync(), null, _quietPeriod, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task RescanSafelyAsync()
    {
        try
        {
            await RescanAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The directory itself went away or became unreadable: keep the last set, try again on the next event.
            Diagnostics = [new ConfigDiagnostic(Severity.Error, _directory, 1, "cannot scan: " + e.Message)];
            Scanned?.Invoke(Diagnostics);
        }
    }

    private IEnumerable<string> EnumerateFiles() =>
        Directory.EnumerateFiles(_directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase) && !Path.GetFileName(f).StartsWith('.'));

    private FileState ReadFile(string path, FileState? previous)
    {
        // A file whose size and modification time are those it had when read is not read again: a
        // change to one file no longer reads and hashes every other (1500 files at 1000 services).
        // As git's racy-clean check does, a file modified shortly before it was read is read again,
        // since a second write within the file system's timestamp granularity keeps the time.
        var stamp = Stamp(path);
        if (previous != null && stamp != null && stamp == previous.Stamp && previous.ReadAtUtc - stamp.Value.ModifiedUtc > RacyWindow)
        {
            return previous;
        }

        var readAt = DateTime.UtcNow;
        var (bytes, problem) = ConfigReader.ReadFileBytes(path, Display(path));
        if (bytes == null)
        {
            // Vanished, locked or oversized: keep what we had (the next event rescans) and say why.
            return new FileState(string.Empty, previous?.LastValid ?? [], [problem!], null, readAt);
        }

        var hash = Convert.ToHexString(SHA256.HashData(bytes));
        if (previous != null && previous.Hash == hash)
        {
            return previous with { Stamp = stamp, ReadAtUtc = readAt };
        }

        var outcome = ConfigValidator.Complete(ConfigReader.ReadBytes(bytes, Display(path)));
        var errors = outcome.Diagnostics.Where(d => d.IsError).ToImmutableArray();
        if (errors.Length > 0)
        {
            // Invalid now: report it, keep the file's last valid resources in force.
            return new FileState(hash, previous?.LastValid ?? [], outcome.Diagnostics.ToImmutableArray(), stamp, readAt);
        }

        return new FileState(hash, outcome.Resources.ToImmutableArray(), outcome.Diagnostics.ToImmutableArray(), stamp, readAt);
    }

    /// <summary>How long after its last modification a file is trusted not to change without a new time (coarse file system clocks tick in up to 2 s).</summary>
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(3);

    /// <summary>The file's size and modification time (of the target, for a symbolic link), or null when it cannot be read.</summary>
    private static FileStamp? Stamp(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string Display(string path) => Path.GetRelativePath(_directory, path);

    private readonly record struct FileStamp(long Length, DateTime ModifiedUtc);

    private sealed record FileState(string Hash, ImmutableArray<ConfigResource> LastValid, ImmutableArray<ConfigDiagnostic> Diagnostics, FileStamp? Stamp, DateTime ReadAtUtc);
}
