package io.kubelora.api.crd;

import io.fabric8.crd.generator.collector.CustomResourceCollector;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.File;
import java.util.List;

/**
 * Build step (process-classes): writes the CRD of every custom resource class under the compiled classes, as
 * Fabric8's crd-generator-maven-plugin does, plus {@link CrdSchemaRefinements}, which that plugin cannot run.
 * Arguments: the classes folder to scan, the output folder.
 */
public final class GenerateCrds {

    private GenerateCrds() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: GenerateCrds <classes folder> <output folder>");
        }
        File classes = new File(args[0]);
        List<Class<? extends HasMetadata>> resources = new CustomResourceCollector()
                .withParentClassLoader(Thread.currentThread().getContextClassLoader())
                .withClasspathElement(classes.getPath())
                .withFileToScan(classes)
                .findCustomResourceClasses();
        if (resources.isEmpty()) {
            throw new IllegalStateException("no custom resource class under " + classes);
        }
        File output = new File(args[1]);
        if (!output.isDirectory() && !output.mkdirs()) {
            throw new IllegalStateException("cannot create " + output);
        }
        new CRDGenerator()
                .customResourceClasses(resources)
                .forCRDVersions("v1")
                .withPostProcessor(new CrdSchemaRefinements(resources))
                .inOutputDir(output)
                .generate();
    }
}
