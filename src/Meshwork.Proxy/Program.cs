using Meshwork.Proxy;

// Socket completions run on the event threads instead of hopping to the thread pool: the request
// path is async end to end, and at a sidecar's typical fixed rates this halves the CPU per request
// and lowers tail latency (docs/benchmarks.md, "Runtime settings"). Read once, when the first socket
// is created, so it is set before anything else runs; an operator's own setting wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

return await ProxyCommand.RunAsync(args);
