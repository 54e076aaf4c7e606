namespace Meshwork.Meshd;

/// <summary>meshd is ready once its config has loaded and its servers listen (Istio's /ready contract).</summary>
public sealed class Readiness
{
    private volatile bool _configLoaded;
    private volatile bool _listening;

    public bool IsReady => _configLoaded && _listening;

    public string Reason => !_configLoaded ? "config not loaded yet" : !_listening ? "servers not listening yet" : "ready";

    public void ConfigLoaded() => _configLoaded = true;

    public void Listening() => _listening = true;
}
