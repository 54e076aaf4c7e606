using Meshwork.Proxy;

return await ProxyCommand.RunAsync(args);
