"""factory_boy factories shared by every test package."""

import factory
from django.contrib.auth.models import Group

from portal.models import Patient, Role, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
            if extracted != Role.PATIENT:
                self.is_staff = True
        if create:
            self.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    phone = "(555) 010-0100"
    date_of_birth = factory.Faker("date_of_birth", minimum_age=20, maximum_age=80)


class PatientWithAccountFactory(PatientFactory):
    user = factory.SubFactory(UserFactory, email=factory.SelfAttribute("..email"), role=Role.PATIENT)
