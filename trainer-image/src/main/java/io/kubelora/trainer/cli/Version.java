package io.kubelora.trainer.cli;

import picocli.CommandLine.IVersionProvider;

/** The version of the trainer jar, from its manifest. */
final class Version implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {"kubelora " + (version == null ? "development build" : version)};
    }
}
