namespace Meshwork.Proxy;

/// <summary>
/// A resource meshd sent that the proxy cannot run: the message names the resource and the field,
/// and becomes the NACK's error detail, so an operator sees exactly what was refused.
/// </summary>
public sealed class ProxyConfigException(string message) : Exception(message);
